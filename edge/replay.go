package edge

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// hopHeaders are connection-scoped or set by the edge, so never replayed as captured.
func hopHeaders() []string {
	return []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer",
		"Transfer-Encoding", "Upgrade", "Content-Length", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"}
}

// Replay re-sends one of the account's captured HTTP requests through the
// live tunnel sub (and only there), records the exchange as a new
// request.captured with ReplayOf (and Overrides: what o changed, see
// changedFields), and returns it. o.MarkReplay adds ReplayOfHeader. It is the edge's half of
// POST /api/v1/me/tunnels/{sub}/requests/{id}/replay: httpapi serves the
// route (auth, overrides, error JSON) and calls this through its Replayer.
// Errors: CodeNotFound (no such request of this account on sub),
// CodeConflict (tunnel offline), CodeInvalid (not HTTP, a bad path, or a
// truncated body without a body override), CodeGone (the stored body was
// pruned and there is no body override).
func (s *Server) Replay(ctx context.Context, accountID, sub string, reqID ulid.ULID, o domain.ReplayOverrides) (domain.CapturedRequest, error) {
	orig, err := projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) (domain.CapturedRequest, error) {
		return projections.Request(tx, accountID, reqID)
	})
	if err != nil {
		return domain.CapturedRequest{}, err
	}
	if orig.Tunnel != sub {
		return domain.CapturedRequest{}, domain.Errorf(domain.CodeNotFound, "request %q not found on tunnel %q", domain.RequestIDPrefix+reqID.String(), sub)
	}
	if orig.Kind != domain.KindHTTP {
		return domain.CapturedRequest{}, domain.Errorf(domain.CodeInvalid, "only HTTP requests can be replayed, not %s connections", orig.Kind)
	}
	t := s.tunnelFor(accountID, sub)
	if t == nil {
		return domain.CapturedRequest{}, domain.Errorf(domain.CodeConflict, "tunnel %q is offline; start its agent, or replay locally with `warren replay --to`", sub)
	}
	// The body is sent from where it already is: the override as decoded
	// (no copy of what may be the plan's whole capture limit), the stored
	// body as read back.
	var body io.Reader = http.NoBody
	var raw []byte // the stored body, for re-signing
	switch {
	case o.Body != nil:
		if *o.Body != "" {
			body = strings.NewReader(*o.Body)
		}
	case orig.ReqBody.Truncated:
		return domain.CapturedRequest{}, domain.Errorf(domain.CodeInvalid, "the captured body was truncated at %d of %d bytes; pass a body override", orig.ReqBody.Stored, orig.ReqBody.Size)
	case orig.ReqBody.Size > 0:
		b, ok, err := s.cfg.Log.Body(reqID, 0)
		if err != nil {
			return domain.CapturedRequest{}, err
		}
		if !ok {
			return domain.CapturedRequest{}, s.prunedError(accountID, reqID)
		}
		if len(b) > 0 {
			body, raw = bytes.NewReader(b), b
		}
	}
	method, path := orig.Method, orig.Path
	if o.Method != nil {
		method = strings.ToUpper(*o.Method)
	}
	if o.Path != nil {
		path = *o.Path
	}
	if !strings.HasPrefix(path, "/") {
		return domain.CapturedRequest{}, domain.Errorf(domain.CodeInvalid, "path %q must start with /", path)
	}
	r, err := http.NewRequestWithContext(ctx, method, "http://"+t.name+path, body)
	if err != nil {
		return domain.CapturedRequest{}, domain.Errorf(domain.CodeInvalid, "cannot build the request: %v", err)
	}
	r.Header = http.Header(orig.ReqHeaders).Clone()
	if r.Header == nil {
		r.Header = http.Header{}
	}
	for _, h := range hopHeaders() {
		r.Header.Del(h)
	}
	before := r.Header.Clone()
	for k, v := range o.Headers {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	overrides := changedFields(orig, o, method, path, before, r.Header)
	// The transport writes Content-Length from r.ContentLength (it skips the
	// header); set the header too so the capture shows what was sent.
	if r.ContentLength > 0 {
		r.Header.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	if o.MarkReplay {
		r.Header.Set(ReplayOfHeader, domain.RequestIDPrefix+reqID.String())
	}
	r.Host, r.RemoteAddr, r.RequestURI, r.Proto = orig.Host, orig.IP+":0", path, "HTTP/1.1"
	var changed []string
	if o.Resign { // verify_replay.go
		if r.Header, changed, err = s.resignReplay(t, r.Header, raw); err != nil {
			return domain.CapturedRequest{}, err
		}
	}

	x := s.newExchange(t, r)
	x.ip, x.replayOf = orig.IP, domain.RequestIDPrefix+reqID.String()
	w := &discardWriter{h: http.Header{}}
	s.proxyExchange(w, r, x)
	if o.Resign {
		x.markResigned(changed) // verify_replay.go
	}
	cr := s.captured(x, r)
	cr.Overrides = overrides
	s.usage.add(accountID, &cr)
	evs, err := s.cfg.Log.Append(ctx, s.draft(x, cr))
	x.releaseCapture()
	if err != nil {
		return domain.CapturedRequest{}, err
	}
	cr.ID, cr.AccountID, cr.CreatedAt = evs[0].ID.String(), evs[0].Account, evs[0].At
	line := requestLine(cr, s.cfg.Now())
	line.Request.ID = domain.RequestIDPrefix + cr.ID
	line.Request.ReplayOf, line.Request.Overrides = cr.ReplayOf, cr.Overrides
	t.sess.notify(line)
	return cr, nil
}

// discardWriter receives a replay's response: the capture keeps what the plan allows.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// prunedError explains a missing stored body: retention pruned it (when
// known), so a replay needs a body override (CodeGone).
func (s *Server) prunedError(accountID string, id ulid.ULID) error {
	type mark struct {
		at     time.Time
		pruned bool
	}
	m, _ := projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) (mark, error) {
		at, pruned, err := projections.BodiesPrunedAt(tx, accountID, id)
		return mark{at, pruned}, err
	})
	if m.pruned {
		return domain.Errorf(domain.CodeGone, "the captured body was pruned by retention on %s; pass a body override",
			m.at.UTC().Format(time.RFC3339))
	}
	return domain.Errorf(domain.CodeGone, "the captured body is no longer stored; pass a body override")
}
