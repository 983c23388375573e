package edge

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"

	"warren/domain"
	"warren/edge/wire"
)

// Server is the edge. Build it with New, serve Handler() on the public
// listener, and call Shutdown after the http.Server drained.
type Server struct {
	cfg    Config
	proxy  *httputil.ReverseProxy
	cap    *capturer
	usage  *usageCache
	limits *connLimits
	capMem *memBudget // bodies held by captures of exchanges in flight

	writable   *writableGate // Config.Writable, cached
	unwritable atomic.Int64  // public requests refused while the log could not write
	stats      *requestStats // public HTTP requests answered (Stats)

	mu       sync.RWMutex
	sessions map[*session]struct{}
	agents   agentCounts        // sessions per account and key, for the plan's caps
	byHost   map[string]*tunnel // subdomain or bound custom hostname → tunnel (or a tombstone)
	byID     map[string]*tunnel
	ports    map[int]*tunnel
	nextPort int

	closing atomic.Bool
	ctx     context.Context // ends at Shutdown: background goroutines
	cancel  context.CancelFunc
	// wg counts every goroutine the server starts (spawn); Shutdown waits
	// for it. gmu and waiting keep spawn from adding to it once Shutdown
	// waits (a WaitGroup must not grow from zero during a Wait).
	wg      sync.WaitGroup
	gmu     sync.Mutex
	waiting bool
}

// New builds the edge and starts its event subscription and capture appenders.
func New(cfg Config) (*Server, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:      cfg,
		sessions: map[*session]struct{}{},
		agents:   agentCounts{ofAccount: map[string]int64{}, ofKey: map[string]int64{}},
		byHost:   map[string]*tunnel{},
		byID:     map[string]*tunnel{},
		ports:    map[int]*tunnel{},
		nextPort: cfg.TCPPorts[0],
		ctx:      ctx,
		cancel:   cancel,
	}
	s.usage = newUsageCache(cfg.Log, cfg.UsageTTL, cfg.Now)
	s.limits = newConnLimits(cfg.MaxConnsPerTunnel, cfg.MaxConnsPerClient)
	s.capMem = &memBudget{max: cfg.CaptureMemory}
	s.stats = newRequestStats()
	s.writable = &writableGate{check: cfg.Writable}
	s.cap = newCapturer(cfg.captureSink(), cfg.CaptureQueue, cfg.Appenders, cfg.Logger)
	s.proxy = s.newProxy()
	err := s.repair()
	if err == nil {
		err = s.loadReconnecting() // after repair: it closes what a crash left live
	}
	if err == nil {
		err = s.dropStaleWebhooks() // verify_hooks.go: agents' verifiers a crash left
	}
	if err != nil {
		cancel()
		s.cap.close(context.Background())
		return nil, err
	}
	if cfg.Subscriber != nil {
		if err := s.watch(); err != nil {
			cancel()
			s.cap.close(context.Background())
			return nil, err
		}
	}
	return s, nil
}

// Handler is a public handler that routes by Host on its own: the API host
// (see ServeHTTP) to Config.API, every other host to ServeTunnel. The
// server binary routes hosts itself with ServeAgent and ServeTunnel.
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP routes: the base domain, api.<base> and IP literals → Config.API
// (404 when nil), with the agent upgrade intercepted (ServeAgent); any other
// host → ServeTunnel.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := HostOnly(r.Host)
	base := s.cfg.BaseDomain
	if host == "" || host == base || host == "api."+base || net.ParseIP(host) != nil {
		switch {
		case r.URL.Path == wire.ConnectPath:
			s.ServeAgent(w, r)
		case s.cfg.API != nil:
			s.cfg.API.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
		return
	}
	s.ServeTunnel(w, r)
}

// HostOnly lowercases a Host header and drops its port and a trailing
// dot: the form hosts are routed by, here and in the composition root.
func HostOnly(h string) string {
	h = strings.ToLower(h)
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.TrimSuffix(strings.Trim(h, "[]"), ".")
}

func (s *Server) lookupHost(host string) *tunnel {
	s.mu.RLock()
	t := s.byHost[host]
	s.mu.RUnlock()
	if t != nil && t.gone() && s.cfg.Now().After(t.goneTill) {
		return nil
	}
	return t
}

// Shutdown closes every agent session, recording a `shutdown` close for each
// live tunnel, and waits for its goroutines and for captured exchanges to be
// appended. It returns by ctx's deadline whatever the agents do: sessions
// still closing then are cut off, and ctx's error is returned. Call it after
// the public http.Server's Shutdown drained the requests in flight (agent
// connections are hijacked, so that drain does not cut them).
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.closing.CompareAndSwap(false, true) {
		return nil
	}
	// Under s.mu, so a session registered before closing was set is in the
	// snapshot, and none registers after it.
	s.mu.Lock()
	sess := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		sess = append(sess, ss)
	}
	s.mu.Unlock()
	var closing sync.WaitGroup
	for _, ss := range sess {
		closing.Add(1)
		if !s.spawn(func() {
			defer closing.Done()
			ss.close(domain.CloseShutdown)
		}) {
			closing.Done()
		}
	}
	if !waitCtx(ctx, closing.Wait) {
		for _, ss := range sess {
			ss.mux.Close() // ends what still waits on an agent
		}
	}
	s.cancel()
	s.gmu.Lock()
	s.waiting = true
	s.gmu.Unlock()
	timedOut := !waitCtx(ctx, s.wg.Wait)
	if err := s.cap.close(ctx); err != nil {
		return err
	}
	if timedOut {
		return ctx.Err()
	}
	return nil
}

// spawn runs f on a goroutine Shutdown waits for. Once Shutdown waits, it
// starts nothing (Shutdown closes everything itself) and reports false.
func (s *Server) spawn(f func()) bool {
	s.gmu.Lock()
	defer s.gmu.Unlock()
	if s.waiting {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// waitCtx runs wait (a WaitGroup's Wait) and reports whether it returned
// before ctx ended. The waiting goroutine outlives a timeout only until
// what it waits for ends.
func waitCtx(ctx context.Context, wait func()) bool {
	done := make(chan struct{})
	go func() {
		wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}
