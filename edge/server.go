package edge

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

	mu       sync.RWMutex
	sessions map[*session]struct{}
	byHost   map[string]*tunnel // subdomain or bound custom hostname → tunnel (or a tombstone)
	byID     map[string]*tunnel
	ports    map[int]*tunnel
	nextPort int

	closing atomic.Bool
	ctx     context.Context // ends at Shutdown: background goroutines
	cancel  context.CancelFunc
	wg      sync.WaitGroup
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
	s.writable = &writableGate{check: cfg.Writable}
	s.cap = newCapturer(cfg.Log, cfg.CaptureQueue, cfg.Appenders, cfg.Logger)
	s.proxy = s.newProxy()
	if err := s.repair(); err != nil {
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

// Handler is the one public handler: it routes by Host.
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP routes: the base domain, api.<base> and IP literals → API (with
// the agent upgrade intercepted: it hijacks the connection into a session
// only the edge holds); <sub>.<base> → that tunnel; a verified custom domain
// → its tunnel; anything else → 404. Every other API route, replay and the
// one-request export included, is httpapi's.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := hostOnly(r.Host)
	base := s.cfg.BaseDomain
	if host == "" || host == base || host == "api."+base || net.ParseIP(host) != nil {
		if r.URL.Path == wire.ConnectPath {
			s.serveAgent(w, r)
			return
		}
		s.cfg.API.ServeHTTP(w, r)
		return
	}
	if sub, ok := strings.CutSuffix(host, "."+base); ok {
		if t := s.lookupHost(sub); t != nil {
			s.serveTunnel(w, r, t)
			return
		}
		writeError(w, r, http.StatusNotFound, "not_found", "Tunnel not found",
			"No tunnel is online at "+host+". Start one with `warren http PORT --subdomain "+sub+"`.")
		return
	}
	if t := s.lookupCustomDomain(host); t != nil {
		s.serveTunnel(w, r, t)
		return
	}
	writeError(w, r, http.StatusNotFound, "not_found", "Unknown host",
		"Warren does not serve "+host+": it is neither a tunnel nor a verified custom domain.")
}

// hostOnly lowercases a Host header and drops its port.
func hostOnly(h string) string {
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
// live tunnel, and waits for captured exchanges to be appended. Call it after
// the public http.Server's Shutdown drained the requests in flight (agent
// connections are hijacked, so that drain does not cut them).
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.closing.CompareAndSwap(false, true) {
		return nil
	}
	s.mu.RLock()
	sess := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		sess = append(sess, ss)
	}
	s.mu.RUnlock()
	var wg sync.WaitGroup
	for _, ss := range sess {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss.close("shutdown")
		}()
	}
	wg.Wait()
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return s.cap.close(ctx)
}

// now is the edge's clock.
func (s *Server) now() time.Time { return s.cfg.Now() }
