package agent

import (
	"context"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"

	"warren/domain"
	"warren/edge/wire"
)

// Spec asks for a tunnel.
type Spec struct {
	Proto     string // "http" or "tcp"
	Local     string // PORT or HOST:PORT of the local service
	Subdomain string // http: wanted name ("" for a random one)
	Hostname  string // http: a verified custom domain to route here
	// http, issue 17: --verify-webhook specs and --verify-webhook-enforce.
	Webhooks       []string
	WebhookEnforce bool
	// WantPort (tcp) asks for a port: a reopen asks for its previous one,
	// which the server grants when it is free and its last tunnel was the
	// account's; otherwise it picks another. A port the account reserved
	// is granted when free; one another account reserved is refused.
	WantPort int
	// DialLocal, if set, connects each public stream to the local service
	// instead of plain TCP to Local: the CLI's proxy to a TLS service, or
	// one that rewrites Host (cmd/warren/internal/cli/upstream.go).
	DialLocal func() (net.Conn, error)
	// Access (http) is who may reach the tunnel; nil lets anyone in.
	Access *wire.Access
}

// Tunnel is a tunnel as the server opened it.
type Tunnel struct {
	Spec
	ID   string
	URL  string
	Port int
}

// Event tells the caller what happens to the connection and tunnels.
type Event struct {
	Kind    string // connected, disconnected, reopened, closed, error
	Tunnel  Tunnel
	Message string
}

// Options configure Dial.
type Options struct {
	Server string // e.g. https://warren.example.com
	Key    string // API key
	// RootCAs verifies an https server's certificate (nil: the system
	// roots); LoadCA reads a private CA's.
	RootCAs *x509.CertPool
	// Insecure allows plain http to a host that is not loopback, the key
	// in clear (CheckServer); Dial refuses that otherwise.
	Insecure bool
	// OnRequest receives one line per captured exchange of this agent's tunnels.
	// It is called from a goroutine of the Client's own, through a bounded
	// queue: while it blocks, the connection is served as usual and lines
	// beyond MaxQueuedLines are dropped (DroppedLines counts them). A call
	// still running at Close returns into nothing: the goroutine ends then.
	OnRequest func(wire.RequestLine)
	// OnRequests, if set, receives them instead, as many as arrived together
	// (a printer writes them at once), the same way.
	OnRequests func([]wire.RequestLine)
	// MaxQueuedLines bounds the lines waiting for OnRequest(s) (default 4096).
	MaxQueuedLines int
	// OnEvent receives connection and tunnel events.
	OnEvent func(Event)
	// MinBackoff and MaxBackoff bound the reconnect delay (default 500 ms, 30 s).
	MinBackoff, MaxBackoff time.Duration
}

// Client is a connected agent. It reconnects on its own, with jittered,
// capped exponential backoff, and reopens its tunnels under the same names.
type Client struct {
	opts Options

	mu      sync.Mutex
	mux     *yamux.Session
	ctl     *wire.Conn
	tunnels map[string]*Tunnel // by server id
	wanted  []*Tunnel          // what to reopen after a reconnect
	pending map[string]chan wire.Msg
	ref     atomic.Uint64

	bufs  *copyBuffers // the pipes' copy buffers
	lines *lineQueue   // request lines on their way to OnRequest(s)

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// Dial connects to the server. It fails at once when the first connection
// fails (bad key, unreachable server, untrusted certificate); later drops
// are reconnected. A plain-http server that is not loopback is refused
// before any dial unless opts.Insecure (CheckServer, CodeInvalid).
func Dial(ctx context.Context, opts Options) (*Client, error) {
	if opts.MinBackoff == 0 {
		opts.MinBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.MaxQueuedLines <= 0 {
		opts.MaxQueuedLines = defaultQueuedLines
	}
	mux, ctl, err := connect(ctx, opts)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{opts: opts, tunnels: map[string]*Tunnel{}, pending: map[string]chan wire.Msg{},
		ctx: cctx, cancel: cancel, done: make(chan struct{})}
	c.bufs = newCopyBuffers()
	c.lines = newLineQueue(opts.MaxQueuedLines)
	if opts.OnRequest != nil || opts.OnRequests != nil {
		go c.lines.deliver(cctx.Done(), opts.OnRequest, opts.OnRequests)
	} else {
		close(c.lines.done)
	}
	c.setConn(mux, ctl)
	go c.run(mux, ctl)
	return c, nil
}

func (c *Client) event(e Event) {
	if c.opts.OnEvent != nil {
		c.opts.OnEvent(e)
	}
}

func (c *Client) setConn(mux *yamux.Session, ctl *wire.Conn) {
	c.mu.Lock()
	c.mux, c.ctl = mux, ctl
	c.mu.Unlock()
}

// run serves connections until Close, reconnecting after drops.
func (c *Client) run(mux *yamux.Session, ctl *wire.Conn) {
	defer close(c.done)
	for {
		c.serve(mux, ctl)
		if c.ctx.Err() != nil {
			return
		}
		c.event(Event{Kind: "disconnected", Message: "connection to the server lost; reconnecting"})
		var err error
		mux, ctl, err = c.reconnect()
		if err != nil {
			return
		}
		c.setConn(mux, ctl)
		c.event(Event{Kind: "connected", Message: "reconnected to " + c.opts.Server})
		c.mu.Lock()
		c.tunnels = map[string]*Tunnel{}
		wanted := append([]*Tunnel(nil), c.wanted...)
		c.mu.Unlock()
		for _, w := range wanted {
			go c.reopen(w)
		}
	}
}

// reconnect retries with jittered exponential backoff, capped, until it
// connects, Close is called, or the key is refused.
func (c *Client) reconnect() (*yamux.Session, *wire.Conn, error) {
	delay := c.opts.MinBackoff
	for {
		// Full jitter in [delay/2, delay): agents dropped together do not return together.
		d := delay/2 + time.Duration(rand.Int64N(int64(delay/2)+1))
		select {
		case <-time.After(d):
		case <-c.ctx.Done():
			return nil, nil, c.ctx.Err()
		}
		mux, ctl, err := connect(c.ctx, c.opts)
		if err == nil {
			return mux, ctl, nil
		}
		if domain.ErrorCode(err) == domain.CodeUnauthorized {
			c.event(Event{Kind: "error", Message: err.Error()})
			c.cancel()
			return nil, nil, err
		}
		delay = min(delay*2, c.opts.MaxBackoff)
	}
}

// reopen reopens a tunnel after a reconnect under its previous name. The
// server may not have noticed the old session's end yet (the name looks
// taken), so conflicts are retried for a while.
func (c *Client) reopen(w *Tunnel) {
	delay := c.opts.MinBackoff
	deadline := time.Now().Add(2 * time.Minute)
	c.mu.Lock()
	spec, prevURL := w.Spec, w.URL
	if spec.Proto == domain.ProtoTCP && w.Port != 0 {
		spec.WantPort = w.Port // its clients know that port
	}
	c.mu.Unlock()
	for {
		t, err := c.open(c.ctx, spec)
		if err == nil {
			c.mu.Lock()
			w.ID, w.URL, w.Port = t.ID, t.URL, t.Port
			c.mu.Unlock()
			if spec.WantPort != 0 && t.Port != spec.WantPort {
				c.event(Event{Kind: "moved", Tunnel: t, Message: "Port " + strconv.Itoa(spec.WantPort) +
					" was taken while the server was away: " + prevURL + " is now " + t.URL +
					"; clients of the old port must use the new one."})
			}
			c.event(Event{Kind: "reopened", Tunnel: t})
			return
		}
		code := domain.ErrorCode(err)
		if c.ctx.Err() != nil || time.Now().After(deadline) ||
			code != domain.CodeConflict && code != domain.CodeUnavailable && code != domain.CodeInternal {
			c.event(Event{Kind: "error", Tunnel: *w, Message: "reopening: " + err.Error()})
			return
		}
		select {
		case <-time.After(delay):
		case <-c.ctx.Done():
			return
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// serve reads control messages and accepts streams until the session ends.
func (c *Client) serve(mux *yamux.Session, ctl *wire.Conn) {
	go func() {
		for {
			st, err := mux.AcceptStream()
			if err != nil {
				return
			}
			go c.forward(st)
		}
	}()
	hb := time.NewTicker(10 * time.Second)
	defer hb.Stop()
	go func() {
		for {
			select {
			case <-hb.C:
				if ctl.Write(wire.Msg{Type: wire.TypeHeartbeat}) != nil {
					return
				}
			case <-mux.CloseChan():
				return
			}
		}
	}()
	defer mux.Close()
	for {
		m, err := ctl.Read()
		if err != nil {
			c.failPending()
			return
		}
		switch m.Type {
		case wire.TypeOpened, wire.TypeError:
			c.mu.Lock()
			ch := c.pending[m.Ref]
			delete(c.pending, m.Ref)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		case wire.TypeClosed:
			c.closedByServer(m)
		case wire.TypeRequest, wire.TypeRequests:
			// Never called from here: a callback that blocks would stop
			// this loop, and with it heartbeats and replies.
			if m.Request != nil {
				c.lines.put([]wire.RequestLine{*m.Request})
			} else if len(m.Requests) > 0 {
				c.lines.put(m.Requests)
			}
		}
	}
}

func (c *Client) failPending() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ref, ch := range c.pending {
		ch <- wire.Msg{Type: wire.TypeError, Code: string(domain.CodeUnavailable), Message: "connection lost"}
		delete(c.pending, ref)
	}
}

// closedByServer forgets a tunnel the server closed (released through the
// API, key revoked): it is not reopened. A server shutting down closes every
// tunnel too, but it is coming back (a restart, an upgrade): those are kept
// and reopened when the connection is, as after a crash. A close this agent
// asked for (Close) is not reported: the caller knows.
func (c *Client) closedByServer(m wire.Msg) {
	shutdown := m.Reason == domain.CloseShutdown
	c.mu.Lock()
	t := c.tunnels[m.ID]
	delete(c.tunnels, m.ID)
	if t != nil && !shutdown {
		for i, w := range c.wanted {
			if w.ID == m.ID {
				c.wanted = append(c.wanted[:i], c.wanted[i+1:]...)
				break
			}
		}
	}
	c.mu.Unlock()
	switch {
	case t == nil || c.ctx.Err() != nil:
	case shutdown:
		c.event(Event{Kind: "disconnected", Tunnel: *t,
			Message: "Tunnel " + t.URL + " closed: the server is shutting down (shutdown); it is reopened when the server is back."})
	default:
		c.event(Event{Kind: "closed", Tunnel: *t, Message: m.Reason})
	}
	// A revocation ends the session right after; do not come back with that key.
	if m.Reason == domain.CloseKeyRevoked {
		c.cancel()
	}
}

// Open opens a tunnel and keeps it open across reconnects.
func (c *Client) Open(ctx context.Context, s Spec) (Tunnel, error) {
	t, err := c.open(ctx, s)
	if err != nil {
		return t, err
	}
	w := t
	if w.Proto == domain.ProtoHTTP {
		w.Subdomain = t.Subdomain // reclaim the granted name after a reconnect
	}
	c.mu.Lock()
	c.wanted = append(c.wanted, &w)
	c.mu.Unlock()
	return t, nil
}

// OpenHTTP opens an HTTP tunnel to local, asking for subdomain ("" for random).
func (c *Client) OpenHTTP(ctx context.Context, local, subdomain string) (Tunnel, error) {
	return c.Open(ctx, Spec{Proto: domain.ProtoHTTP, Local: local, Subdomain: subdomain})
}

// OpenTCP opens a TCP tunnel to local.
func (c *Client) OpenTCP(ctx context.Context, local string) (Tunnel, error) {
	return c.Open(ctx, Spec{Proto: domain.ProtoTCP, Local: local})
}

func (c *Client) open(ctx context.Context, s Spec) (Tunnel, error) {
	local, err := NormalizeLocal(s.Local)
	if err != nil {
		return Tunnel{}, err
	}
	s.Local = local
	ref := strconv.FormatUint(c.ref.Add(1), 10)
	ch := make(chan wire.Msg, 1)
	c.mu.Lock()
	ctl := c.ctl
	c.pending[ref] = ch
	c.mu.Unlock()
	if err := ctl.Write(wire.Msg{Type: wire.TypeOpen, Ref: ref, Proto: s.Proto,
		Subdomain: s.Subdomain, Hostname: s.Hostname, Port: s.WantPort, Local: s.Local, Lines: c.opts.OnRequest != nil || c.opts.OnRequests != nil,
		Webhooks: s.Webhooks, WebhookEnforce: s.WebhookEnforce,
		Access: s.Access}); err != nil {
		c.mu.Lock()
		delete(c.pending, ref)
		c.mu.Unlock()
		return Tunnel{}, domain.Errorf(domain.CodeUnavailable, "connection lost: %v", err)
	}
	var m wire.Msg
	select {
	case m = <-ch:
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, ref)
		c.mu.Unlock()
		return Tunnel{}, ctx.Err()
	}
	if m.Type == wire.TypeError {
		return Tunnel{}, domain.Errorf(domain.Code(m.Code), "%s", m.Message)
	}
	t := Tunnel{Spec: s, ID: m.ID, URL: m.URL, Port: m.Port}
	t.Subdomain = m.Subdomain
	c.mu.Lock()
	c.tunnels[t.ID] = &t
	c.mu.Unlock()
	return t, nil
}

// Tunnels returns the tunnels open now.
func (c *Client) Tunnels() []Tunnel {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Tunnel, 0, len(c.tunnels))
	for _, t := range c.tunnels {
		out = append(out, *t)
	}
	return out
}

// Done is closed when the client stopped for good (Close, or a refused key).
func (c *Client) Done() <-chan struct{} { return c.done }

// Close closes the tunnels cleanly (each recorded as released), then the
// connection. It waits at most until ctx ends.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	ctl, mux := c.ctl, c.mux
	ids := make([]string, 0, len(c.tunnels))
	for id := range c.tunnels {
		ids = append(ids, id)
	}
	c.wanted = nil
	c.mu.Unlock()
	c.cancel()
	for _, id := range ids {
		_ = ctl.Write(wire.Msg{Type: wire.TypeClose, ID: id})
	}
	// Wait for the closes to be confirmed (the server records them), briefly.
	deadline := time.Now().Add(3 * time.Second)
	for len(c.Tunnels()) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	mux.Close()
	select {
	case <-c.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// forward connects one server stream to the tunnel's local service.
func (c *Client) forward(st net.Conn) {
	defer st.Close()
	_ = st.SetReadDeadline(time.Now().Add(15 * time.Second))
	id, err := wire.ReadHeader(st)
	if err != nil {
		return
	}
	_ = st.SetReadDeadline(time.Time{})
	c.mu.Lock()
	t := c.tunnels[id]
	c.mu.Unlock()
	if t == nil {
		_ = wire.WriteStatus(st, wire.StatusRefused, "tunnel "+id+" is not open on this agent")
		return
	}
	dial := t.DialLocal
	if dial == nil {
		dial = func() (net.Conn, error) { return net.DialTimeout("tcp", t.Local, 10*time.Second) }
	}
	local, err := dial()
	if err != nil {
		_ = wire.WriteStatus(st, wire.StatusRefused, err.Error())
		return
	}
	defer local.Close()
	if wire.WriteStatus(st, wire.StatusOK, "") != nil {
		return
	}
	c.pipe(st, local, t.Proto == domain.ProtoTCP)
}

// pipe copies both ways. For TCP tunnels each side is half-closed as its
// source ends. For HTTP the edge closes a stream only when it is done with it
// (an abandoned response, an idle keep-alive): the local connection is closed
// outright, so a local service streaming an answer nobody reads stops.
func (c *Client) pipe(st net.Conn, local net.Conn, halfClose bool) {
	done := make(chan struct{})
	go func() {
		_, _ = c.bufs.copy(local, st)
		if tc, ok := local.(*net.TCPConn); ok && halfClose {
			_ = tc.CloseWrite()
		} else {
			local.Close()
		}
		close(done)
	}()
	_, err := c.bufs.copy(st, local)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		local.Close()
	}
	st.Close() // yamux Close is a half-close: the other direction still flows
	<-done
}
