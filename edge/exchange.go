package edge

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"warren/domain"
	"warren/edge/wire"
	"warren/events"
)

// statusClientClosed is recorded when the client went away before an answer
// (nginx's 499); it is never sent.
const statusClientClosed = 499

// exchange is one public request (or upgraded connection) being captured.
type exchange struct {
	t        *tunnel
	now      func() time.Time // the edge's clock (Config.Now)
	start    time.Time
	ip       string
	kind     string
	replayOf string
	denied   string // the access rule that refused it (access_gate.go); guarded by mu

	reqBody  captureBody
	respBody captureBody

	mu          sync.Mutex
	status      int
	ttfb        time.Time
	respHeaders http.Header
	errCode     string
	in, out     int64 // upgraded connections: bytes after the 101
	// clientWriteErr is the first failed write of the answer to the client:
	// an aborted copy is then the client's doing, not the tunnel's.
	clientWriteErr error
	hook           *webhookCheck // issue 17: nil unless the tunnel verifies webhooks (verify_capture.go)
}

// bodyLeft reports whether r has a body that was not read to its end (the
// common case, a body read whole or none, needs no drain).
func (x *exchange) bodyLeft(r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return !x.reqBody.eof
}

// answered reports whether the answer's headers were written.
func (x *exchange) answered() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return !x.ttfb.IsZero()
}

func (x *exchange) setError(code string, status int) {
	x.mu.Lock()
	if x.errCode == "" {
		x.errCode = code
	}
	// A status already answered stays: a client abort after a 200 is a 200
	// with error client_abort.
	if x.status == 0 {
		x.status = status
	}
	x.mu.Unlock()
}

func (x *exchange) addIn(n int64) {
	x.mu.Lock()
	x.in += n
	x.mu.Unlock()
}

func (x *exchange) addOut(n int64) {
	x.mu.Lock()
	x.out += n
	x.mu.Unlock()
}

// captureBody tees up to limit bytes and counts all of them. It never holds
// more than limit bytes, whatever the body's size, and it only takes more
// room with room in the budget of captures in flight: without, it stores no
// more (the body is recorded truncated). It stores in chunks, so growing
// copies nothing and leaves no garbage: a visitor that reads slowly keeps
// its capture, and only that, in memory.
type captureBody struct {
	limit   int64
	budget  *memBudget // nil: no budget (tests)
	held    int64      // bytes taken from budget: the chunks' capacity
	chunks  [][]byte   // each full to its capacity but the last
	stored  int64
	size    int64
	readErr error // a request body read that failed (client abort)
	eof     bool  // the request body was read to its end
}

// Chunk sizes: the first is at least minChunk (the first write's size if
// larger); then each doubles, up to maxChunk.
const (
	minChunk = 512
	maxChunk = 1 << 20
)

func (c *captureBody) add(p []byte) {
	c.size += int64(len(p))
	for len(p) > 0 && c.stored < c.limit {
		room := c.limit - c.stored
		var last []byte
		if n := len(c.chunks); n > 0 {
			last = c.chunks[n-1]
		}
		if len(last) == cap(last) {
			grown := int64(max(len(p), minChunk, min(2*cap(last), maxChunk)))
			grown = min(grown, room)
			// A capture is a prefix: once out of room, it stops for good.
			if !c.budget.tryAcquire(grown) {
				c.limit = c.stored
				return
			}
			c.held += grown
			last = make([]byte, 0, grown)
			c.chunks = append(c.chunks, last)
		}
		k := min(len(p), cap(last)-len(last), int(room))
		c.chunks[len(c.chunks)-1] = append(last, p[:k]...)
		c.stored += int64(k)
		p = p[k:]
	}
}

// bytes returns what was stored, as one slice (joined once).
func (c *captureBody) bytes() []byte {
	switch len(c.chunks) {
	case 0:
		return nil
	case 1:
		return c.chunks[0]
	}
	all := make([]byte, 0, c.stored)
	for _, ch := range c.chunks {
		all = append(all, ch...)
	}
	c.chunks = [][]byte{all}
	return all
}

// release gives the capture's room back to its budget (the bytes live on in
// the capture queue, which has a budget of its own).
func (c *captureBody) release() {
	c.budget.release(c.held)
	c.held = 0
}

func (c *captureBody) info() domain.BodyInfo {
	buf := c.bytes()
	bi := domain.BodyInfo{Size: c.size, Stored: int64(len(buf)), Truncated: c.size > int64(len(buf))}
	if len(buf) > 0 {
		sum := sha256.Sum256(buf)
		bi.SHA256 = hex.EncodeToString(sum[:])
	}
	return bi
}

// teeReader captures a request body as the proxy reads it.
type teeReader struct {
	rc io.ReadCloser
	c  *captureBody
	mu *sync.Mutex
}

func (r *teeReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.mu.Lock()
	r.c.add(p[:n])
	if errors.Is(err, io.EOF) {
		r.c.eof = true
	} else if err != nil {
		r.c.readErr = err
	}
	r.mu.Unlock()
	return n, err
}

func (r *teeReader) Close() error { return r.rc.Close() }

// captureWriter captures the response as it is written to the client.
type captureWriter struct {
	http.ResponseWriter
	x     *exchange
	wrote bool
}

func (w *captureWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.wrote = true
		w.x.mu.Lock()
		if w.x.ttfb.IsZero() {
			w.x.ttfb = w.x.now()
		}
		if w.x.status == 0 || w.x.errCode != "" {
			w.x.status = code
		}
		if w.x.respHeaders == nil {
			w.x.respHeaders = w.Header().Clone()
		}
		w.x.mu.Unlock()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.x.mu.Lock()
	w.x.respBody.add(p[:n])
	if err != nil && w.x.clientWriteErr == nil {
		w.x.clientWriteErr = err
	}
	w.x.mu.Unlock()
	return n, err
}

func (w *captureWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach Hijack for upgrades.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serveTunnel proxies one public request to t and captures it, exactly once
// whatever the outcome.
func (s *Server) serveTunnel(w http.ResponseWriter, r *http.Request, t *tunnel) {
	if s.refuseUncapturable(w, r, t) {
		return
	}
	x := s.newExchange(t, r)
	defer func() {
		p := recover()
		if p != nil && x.errCode == "" {
			// The proxy aborts when copying the answer fails: to the client
			// (it went away), or from the tunnel (the agent or the local
			// service broke off the answer).
			x.mu.Lock()
			clientGone := x.clientWriteErr != nil
			x.mu.Unlock()
			switch {
			case clientGone || r.Context().Err() != nil:
				x.setError("client_abort", statusClientClosed)
			case t.sessionLost():
				x.setError("agent_gone", http.StatusBadGateway)
			default:
				x.setError("local_closed", http.StatusBadGateway)
			}
		}
		// Close the body before returning: net/http drains what is left
		// (up to 256 KiB) either way, but after the handler, with full
		// duplex on, reaching its end there starts a read of the next
		// request beside its own (a panic, "invalid concurrent Body.Read
		// call", and a lost keep-alive connection). Done here, it is safe.
		// The answer goes out first, as net/http sends it before draining:
		// a client may wait for it before sending the rest. An aborted
		// exchange (p != nil) closes the connection anyway, and an upgraded
		// one no longer has a body to drain.
		if p == nil && x.kind == domain.KindHTTP && x.bodyLeft(r) {
			if x.answered() {
				_ = http.NewResponseController(w).Flush()
			}
			r.Body.Close()
		}
		s.finish(x, r)
		if p != nil {
			panic(p)
		}
	}()
	cw := &captureWriter{ResponseWriter: w, x: x}
	if !s.admitExchange(cw, r, x) {
		return
	}
	defer s.limits.leave(t, x.ip)
	if s.refuseByAccess(cw, r, x) || s.refuseByOIDC(cw, r, x) {
		return
	}
	s.proxyExchange(w, r, x)
}

func (s *Server) newExchange(t *tunnel, r *http.Request) *exchange {
	x := &exchange{t: t, now: s.cfg.Now, start: s.cfg.Now(), kind: domain.KindHTTP}
	x.ip, _, _ = net.SplitHostPort(r.RemoteAddr)
	if x.ip == "" {
		x.ip = r.RemoteAddr
	}
	return x
}

// proxyExchange runs the quota check and the proxy for x.
func (s *Server) proxyExchange(w http.ResponseWriter, r *http.Request, x *exchange) {
	t := x.t
	acct, err := s.usage.get(t.info.AccountID)
	if err == nil && !s.cfg.DisableCapture {
		x.reqBody.limit = acct.plan.Limits.CaptureBodyBytes
		x.respBody.limit = acct.plan.Limits.CaptureBodyBytes
		x.reqBody.budget, x.respBody.budget = s.capMem, s.capMem
	}
	if err == nil && acct.over() {
		x.setError("quota", http.StatusTooManyRequests)
		writeError(&captureWriter{ResponseWriter: w, x: x}, r, http.StatusTooManyRequests, "quota", "Bandwidth quota exhausted",
			"This tunnel's account used its "+acct.plan.Name+" plan's monthly bandwidth ("+humanBytes(*acct.plan.Limits.BandwidthBytes)+
				"). Requests are refused until next month or a plan upgrade.")
		return
	}
	if t.gone() {
		s.serveGone(w, r, x) // 503 while its agent reconnects, else 502
		return
	}
	// A local service may answer before it read the whole upload (echoes,
	// early errors): keep reading the client's body after our headers went out.
	_ = http.NewResponseController(w).EnableFullDuplex()
	// The tee goes on a copy of the request: net/http checks the request it
	// handed over for a body left unread (to close the connection rather
	// than parse the rest of that body as the next request), and only sees
	// its own body type there.
	out := r.WithContext(contextWithExchange(r.Context(), x))
	if r.Body != nil && r.Body != http.NoBody {
		out.Body = &teeReader{rc: r.Body, c: &x.reqBody, mu: &x.mu}
	}
	if s.startWebhookCheck(w, out, x) { // verify_capture.go: an enforcing verifier refused it
		return
	}
	s.proxy.ServeHTTP(&captureWriter{ResponseWriter: w, x: x}, out)
}

// finish turns x into a request.captured event, queued for the appenders,
// and tells the agent a line to print.
func (s *Server) finish(x *exchange, r *http.Request) {
	cr := s.captured(x, r)
	if r != nil { // nil: a TCP connection, not an HTTP request
		s.stats.served(cr.Status, time.Duration(cr.DurationMs*float64(time.Millisecond)), x.kind != domain.KindHTTP)
	}
	s.usage.add(x.t.info.AccountID, &cr)
	it := captureItem{}
	if x.t.sess != nil && x.t.sess.wantLines.Load() {
		it.sess, it.line = x.t.sess, requestLine(cr, s.cfg.Now())
	}
	if s.cfg.DisableCapture {
		if it.sess != nil {
			it.sess.notify(it.line)
		}
		x.releaseCapture()
		return
	}
	it.draft = s.draft(x, cr)
	s.cap.put(it)
	x.releaseCapture()
}

// releaseCapture gives x's capture buffers' room back to the budget of
// captures in flight, once they are queued or appended.
func (x *exchange) releaseCapture() {
	x.mu.Lock()
	x.reqBody.release()
	x.respBody.release()
	x.mu.Unlock()
}

// captured builds the record of a finished exchange.
func (s *Server) captured(x *exchange, r *http.Request) domain.CapturedRequest {
	end := x.now()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.reqBody.readErr != nil && x.errCode == "" {
		// The client's upload broke off, whatever the local service answered.
		x.errCode = "client_abort"
		if x.status == 0 {
			x.status = statusClientClosed
		}
	}
	cr := domain.CapturedRequest{
		TunnelID: x.t.info.ID, Tunnel: x.t.name, Kind: x.kind, Status: x.status,
		DurationMs: since(x.start, end),
		BytesIn:    x.reqBody.size + x.in, BytesOut: x.respBody.size + x.out,
		IP: x.ip, Proto: "tcp", Host: x.t.info.PublicURL,
		ReqBody: x.reqBody.info(), RespBody: x.respBody.info(),
		Error: x.errCode, ReplayOf: x.replayOf,
		Denied: x.denied,
	}
	if r != nil { // nil for TCP connections
		cr.Method, cr.Path, cr.UserAgent, cr.Proto, cr.Host = r.Method, r.URL.RequestURI(), r.UserAgent(), r.Proto, r.Host
		// No copies: nothing changes either map once the exchange is over,
		// so the appender may marshal them after this handler returned.
		cr.ReqHeaders, cr.RespHeaders = r.Header, x.respHeaders
	}
	if !x.ttfb.IsZero() {
		cr.TTFBMs = since(x.start, x.ttfb)
	}
	if x.kind == domain.KindWebSocket && cr.Error == "" {
		cr.Error = "closed"
	}
	cr.Webhook = x.webhookResultLocked() // verify_capture.go
	return cr
}

func (s *Server) draft(x *exchange, cr domain.CapturedRequest) events.Draft {
	x.mu.Lock()
	defer x.mu.Unlock()
	var bodies [][]byte
	if x.reqBody.stored > 0 || x.respBody.stored > 0 {
		bodies = [][]byte{x.reqBody.bytes(), x.respBody.bytes()}
	}
	// Typed, not pre-marshalled: Append marshals it off the writer and hands
	// the value on, so the projections need not decode it again.
	// At is when the request arrived: the event is appended after the
	// answer, in a batch, and a request's time is when it was made.
	// Sensitive headers are sealed beside the bodies, out of the log.
	return events.CapturedDraft(x.t.info.AccountID, x.start, cr, bodies, s.cfg.SensitiveHeaders)
}

// maxLinePath cuts the path a request line shows (the capture keeps it whole).
const maxLinePath = 1 << 10

func requestLine(cr domain.CapturedRequest, at time.Time) wire.Msg {
	path := cr.Path
	if len(path) > maxLinePath {
		path = strings.ToValidUTF8(path[:maxLinePath], "") + "…"
	}
	return wire.Msg{Type: wire.TypeRequest, Request: &wire.RequestLine{
		Tunnel: cr.Tunnel, Kind: cr.Kind, Method: cr.Method, Path: path, Status: cr.Status,
		DurationMs: cr.DurationMs, BytesIn: cr.BytesIn, BytesOut: cr.BytesOut, Error: cr.Error, At: at.UTC(),
		Webhook: webhookLine(cr.Webhook), // verify_capture.go
	}}
}
