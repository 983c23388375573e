package edge

import (
	"context"
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
// control stream. It owns the tunnels it opened and the goroutines serving
// them (wg); nothing it runs waits on the agent but its writer, and that
// one only until Config.AgentWriteTimeout.
type session struct {
	srv       *Server
	id        string
	accountID string
	keyID     string
	remote    string
	mux       *yamux.Session
	release   func() // gives back the session's slot under the plan's caps
	ctl       *wire.Conn
	wantLines atomic.Bool // the agent asked for request lines
	out       outbox

	mu      sync.Mutex
	tunnels map[string]*tunnel
	ended   bool // set under mu when close took its snapshot of tunnels

	wg         sync.WaitGroup // opens and closes asked by the agent
	handling   chan struct{}  // bounds them: a slot per one under way
	once       sync.Once
	stopping   chan struct{} // closed when the session starts to end: last flush
	writerDone chan struct{} // closed when the writer returned (or never ran)
	done       chan struct{} // closed when the session ended
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
	release, err := s.admitAgent(k)
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeQuota {
			writeJSONError(w, http.StatusTooManyRequests, string(domain.CodeQuota), domain.ErrorMessage(err))
		} else {
			writeJSONError(w, http.StatusInternalServerError, "internal", "cannot check the plan's limits")
		}
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		release()
		writeJSONError(w, http.StatusInternalServerError, "internal", "cannot upgrade this connection")
		return
	}
	_ = conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "+wire.Upgrade+"\r\n\r\n"); err != nil {
		release()
		conn.Close()
		return
	}
	var c net.Conn = conn
	if brw.Reader.Buffered() > 0 {
		c = &wire.BufferedConn{Conn: conn, R: brw.Reader}
	}
	mux, err := yamux.Server(wire.Batch(c), wire.MuxConfig())
	if err != nil {
		release()
		conn.Close()
		return
	}
	ss := &session{
		srv: s, id: "ses_" + ulid.Make().String(), accountID: k.AccountID, keyID: k.ID,
		remote: r.RemoteAddr, mux: mux, release: release, out: newOutbox(), tunnels: map[string]*tunnel{},
		handling: make(chan struct{}, maxHandling), stopping: make(chan struct{}),
		writerDone: make(chan struct{}), done: make(chan struct{}),
	}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		release()
		mux.Close()
		return
	}
	s.sessions[ss] = struct{}{}
	s.mu.Unlock()
	if !s.spawn(ss.run) {
		// Shutdown is past waiting for sessions: it closes this one.
		close(ss.writerDone)
		mux.Close()
		release()
	}
}

// maxHandling bounds the opens and closes of one agent under way at once
// (each appends an event); the read loop waits for a slot.
const maxHandling = 8

// controlTimeout is how long a new session may take to open its control stream.
const controlTimeout = 30 * time.Second

// run accepts the control stream and serves it until the session ends: the
// agent's connection drops (at once; a silent one within yamux's keepalive,
// 30 s), it stops draining its control stream (the writer cuts it off), or
// the server ends it (close).
func (ss *session) run() {
	defer ss.wg.Wait()
	defer ss.close(domain.CloseAgentGone)
	ctx, cancel := context.WithTimeout(context.Background(), controlTimeout)
	st, err := ss.mux.AcceptStreamWithContext(ctx)
	cancel()
	if err != nil {
		close(ss.writerDone)
		return
	}
	ss.ctl = wire.NewConn(st)
	ss.wg.Add(2)
	go func() {
		defer ss.wg.Done()
		ss.writer()
	}()
	go func() {
		defer ss.wg.Done()
		ss.refuseStreams()
	}()
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
			if !ss.handle(func() { ss.open(m) }) {
				return
			}
		case wire.TypeClose:
			if !ss.handle(func() { ss.closeByAgent(m) }) {
				return
			}
		case wire.TypeHeartbeat:
			// Answered by the writer, never from this loop: an agent that
			// sends heartbeats and never reads fills its own window with
			// the answers and is cut off by the write timeout.
			ss.out.oweHeartbeat()
		}
	}
}

// handle runs f on a goroutine of the session, once one of maxHandling
// slots is free; false when the session ended while waiting.
func (ss *session) handle(f func()) bool {
	select {
	case ss.handling <- struct{}{}:
	case <-ss.mux.CloseChan():
		return false
	}
	ss.wg.Add(1)
	go func() {
		defer ss.wg.Done()
		defer func() { <-ss.handling }()
		f()
	}()
	return true
}

// refuseStreams keeps the agent from opening streams: the protocol has it
// open only the control stream, and a stream nobody accepts holds up to its
// window (256 KiB) of the agent's data until the session ends. GoAway makes
// yamux answer every later SYN with a reset at once, buffering nothing and
// telling the sender; a stream the agent opened before that (between the
// control stream and the GoAway) is a protocol violation that ends the
// session. (Closing an accepted stream would not do: yamux's Close is a
// half-close that keeps buffering what the agent sends, and accepting grants
// the full stream window.)
func (ss *session) refuseStreams() {
	if err := ss.mux.GoAway(); err != nil {
		return
	}
	// Streams opened before the GoAway are queued already: a short wait finds them.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if st, err := ss.mux.AcceptStreamWithContext(ctx); err == nil {
		st.Close()
		ss.srv.cfg.Logger.Warn("agent cut off: it opened a stream of its own",
			"session", ss.id, "account", ss.accountID)
		ss.mux.Close()
	}
}

// notify queues a request line for the agent without ever blocking.
func (ss *session) notify(m wire.Msg) {
	if !ss.wantLines.Load() || m.Request == nil {
		return
	}
	ss.out.pushLine(*m.Request)
}

// reply queues a control message for the agent without ever blocking; an
// agent with maxQueuedMsgs of them unread is cut off.
func (ss *session) reply(m wire.Msg) {
	if !ss.out.push(m) {
		ss.mux.Close()
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

// close ends the session once, closing its tunnels with reason. A live
// agent is told why (revocation, shutdown) if it reads within closeGrace;
// close never waits on the agent longer than that.
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
				ss.srv.closeTunnel(t, reason, reason != domain.CloseAgentGone)
			}()
		}
		wg.Wait()
		close(ss.stopping)
		grace := time.NewTimer(closeGrace)
		select {
		case <-ss.writerDone:
		case <-grace.C:
		}
		grace.Stop()
		ss.mux.Close() // ends a write still waiting on the agent
		<-ss.writerDone
		close(ss.done)
		ss.srv.mu.Lock()
		delete(ss.srv.sessions, ss)
		ss.srv.mu.Unlock()
		ss.release()
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
		s.spawn(func() { ss.close(domain.CloseKeyRevoked) })
	}
}

// bg is a context for appends the edge makes on its own behalf (closes at
// shutdown must still be recorded, so not s.ctx).
func bg() context.Context { return context.Background() }
