package edge

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/edge/wire"
)

// session is one connected agent: a yamux session whose first stream is the
// control stream. It owns the tunnels it opened.
type session struct {
	srv       *Server
	id        string
	accountID string
	keyID     string
	remote    string
	mux       *yamux.Session
	ctl       *wire.Conn
	wantLines atomic.Bool // the agent asked for request lines
	// Request lines waiting for sendLines, best-effort. A slice, not a
	// buffered channel: a commit notifies hundreds at once, and a channel
	// that large would be allocated for each of a thousand idle sessions.
	linesMu   sync.Mutex
	lines     []wire.RequestLine
	linesWake chan struct{}

	mu      sync.Mutex
	tunnels map[string]*tunnel
	ended   bool // set under mu when close took its snapshot of tunnels
	once    sync.Once
	done    chan struct{}
}

// authenticate resolves the request's API key to its key record with the
// Authenticator the edge shares with the API (projections.Authenticator).
// It fails with CodeUnauthorized for a missing, malformed, unknown or
// revoked key, and CodeQuota (with a RetryAfter) while the client's address
// is over its limit of failed attempts.
func (s *Server) authenticate(r *http.Request) (domain.APIKey, error) {
	_, k, err := s.cfg.Auth.Authenticate(r.Header.Get("Authorization"), r.RemoteAddr)
	return k, err
}

// serveAgent upgrades GET /api/v1/agent/connect to a yamux session.
func (s *Server) serveAgent(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		// As the API's routes answer (OPTIONS included): the methods allowed.
		w.Header().Set("Allow", "GET")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusOK)
			return
		}
		writeJSONError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET with Upgrade: "+wire.Upgrade)
		return
	}
	if s.closing.Load() {
		writeJSONError(w, http.StatusServiceUnavailable, string(domain.CodeUnavailable), "the server is shutting down")
		return
	}
	k, err := s.authenticate(r)
	if err != nil {
		writeAuthError(w, err)
		return
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), wire.Upgrade) {
		w.Header().Set("Upgrade", wire.Upgrade) // RFC 9110: a 426 names the protocol
		writeJSONError(w, http.StatusUpgradeRequired, "upgrade_required", "this endpoint needs Upgrade: "+wire.Upgrade)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "internal", "cannot upgrade this connection")
		return
	}
	_ = conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "+wire.Upgrade+"\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	var c net.Conn = conn
	if brw.Reader.Buffered() > 0 {
		c = &wire.BufferedConn{Conn: conn, R: brw.Reader}
	}
	mux, err := yamux.Server(wire.Batch(c), wire.MuxConfig())
	if err != nil {
		conn.Close()
		return
	}
	ss := &session{
		srv: s, id: "ses_" + ulid.Make().String(), accountID: k.AccountID, keyID: k.ID,
		remote: r.RemoteAddr, mux: mux, linesWake: make(chan struct{}, 1),
		tunnels: map[string]*tunnel{}, done: make(chan struct{}),
	}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		mux.Close()
		return
	}
	s.sessions[ss] = struct{}{}
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ss.run()
	}()
}

// run accepts the control stream and serves it until the session ends. A
// dropped connection ends the session at once; a silent one within yamux's
// keepalive (30 s).
func (ss *session) run() {
	defer ss.close(domain.CloseAgentGone)
	go func() {
		select {
		case <-ss.mux.CloseChan():
			ss.close(domain.CloseAgentGone)
		case <-ss.done:
		}
	}()
	st, err := ss.acceptControl()
	if err != nil {
		return
	}
	ss.ctl = wire.NewConn(st)
	go ss.sendLines()
	for {
		m, err := ss.ctl.Read()
		if err != nil {
			return
		}
		switch m.Type {
		case wire.TypeOpen:
			if m.Lines {
				ss.wantLines.Store(true)
			}
			// Opening appends an event (an fsync): do it off the read loop so
			// heartbeats keep flowing.
			go ss.open(m)
		case wire.TypeClose:
			go ss.closeByAgent(m)
		case wire.TypeHeartbeat:
			_ = ss.ctl.Write(wire.Msg{Type: wire.TypeHeartbeat})
		}
	}
}

func (ss *session) acceptControl() (net.Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ss.mux.Accept()
		ch <- res{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-time.After(30 * time.Second):
		return nil, errors.New("agent opened no control stream")
	}
}

// maxQueuedLines bounds the lines waiting for a slow agent; more are dropped.
const maxQueuedLines = 4096

// sendLines forwards request lines; they are informational, so a slow agent
// loses lines rather than slowing the proxy (see notify). Lines arrive a
// commit's worth at a time under load: they go as few messages, one write
// and one print at the agent rather than one per request.
func (ss *session) sendLines() {
	const perMsg = 256
	var spare []wire.RequestLine
	for {
		select {
		case <-ss.linesWake:
		case <-ss.done:
			return
		}
		ss.linesMu.Lock()
		batch := ss.lines
		ss.lines = spare[:0]
		ss.linesMu.Unlock()
		all := batch
		for len(batch) > 0 {
			// Well under the control stream's 64 KiB per message (paths in
			// lines are cut at 1 KiB, see requestLine).
			n, size := 0, 0
			for n < len(batch) && n < perMsg && size < 32<<10 {
				l := &batch[n]
				size += 160 + len(l.ID) + len(l.Tunnel) + len(l.Kind) + len(l.Method) + 2*len(l.Path) + len(l.Error)
				n++
			}
			m := wire.Msg{Type: wire.TypeRequests, Requests: batch[:n]}
			if n == 1 {
				m = wire.Msg{Type: wire.TypeRequest, Request: &batch[0]}
			}
			if ss.ctl.Write(m) != nil {
				return
			}
			batch = batch[n:]
		}
		// Write marshalled the lines: the array can take the next ones,
		// unless a burst made it large (a thousand sessions would keep it).
		spare = nil
		if cap(all) <= perMsg {
			spare = all[:0]
		}
	}
}

// notify queues a request line for the agent without ever blocking.
func (ss *session) notify(m wire.Msg) {
	if !ss.wantLines.Load() || m.Request == nil {
		return
	}
	ss.linesMu.Lock()
	if len(ss.lines) < maxQueuedLines {
		ss.lines = append(ss.lines, *m.Request)
	}
	ss.linesMu.Unlock()
	select {
	case ss.linesWake <- struct{}{}:
	default:
	}
}

func (ss *session) reply(m wire.Msg) {
	if ss.ctl != nil {
		_ = ss.ctl.Write(m)
	}
}

// open handles an open message: decide and record through the projections
// command, then route.
func (ss *session) open(m wire.Msg) {
	t, err := ss.srv.openTunnel(ss, m)
	if err != nil {
		ss.reply(wire.Msg{Type: wire.TypeError, Ref: m.Ref, Code: string(domain.ErrorCode(err)), Message: domain.ErrorMessage(err)})
		return
	}
	ss.reply(wire.Msg{Type: wire.TypeOpened, Ref: m.Ref, ID: t.info.ID, URL: t.info.PublicURL,
		Proto: t.info.Proto, Subdomain: t.info.Subdomain, Port: t.info.Port, Hostname: t.hostname, Local: t.info.Local})
}

func (ss *session) closeByAgent(m wire.Msg) {
	ss.mu.Lock()
	t := ss.tunnels[m.ID]
	ss.mu.Unlock()
	if t == nil {
		ss.reply(wire.Msg{Type: wire.TypeClosed, ID: m.ID, Reason: "unknown tunnel"})
		return
	}
	ss.srv.closeTunnel(t, domain.CloseReleased, true)
}

// close ends the session once, closing its tunnels with reason.
func (ss *session) close(reason string) {
	ss.once.Do(func() {
		ss.mu.Lock()
		ss.ended = true
		ts := make([]*tunnel, 0, len(ss.tunnels))
		for _, t := range ss.tunnels {
			ts = append(ts, t)
		}
		ss.mu.Unlock()
		var wg sync.WaitGroup
		for _, t := range ts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Tell a live agent why (revocation, shutdown) before the session goes.
				ss.srv.closeTunnel(t, reason, reason != domain.CloseAgentGone)
			}()
		}
		wg.Wait()
		close(ss.done)
		ss.mux.Close()
		ss.srv.mu.Lock()
		delete(ss.srv.sessions, ss)
		ss.srv.mu.Unlock()
	})
}

// closeSessionsOfKey closes every session authenticated by keyID (revocation).
func (s *Server) closeSessionsOfKey(keyID string) {
	s.mu.RLock()
	var hit []*session
	for ss := range s.sessions {
		if ss.keyID == keyID {
			hit = append(hit, ss)
		}
	}
	s.mu.RUnlock()
	for _, ss := range hit {
		go ss.close(domain.CloseKeyRevoked)
	}
}

// bg is a context for appends the edge makes on its own behalf (closes at
// shutdown must still be recorded, so not s.ctx).
func bg() context.Context { return context.Background() }
