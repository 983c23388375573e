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
	cfg   Config
	proxy *httputil.ReverseProxy
	cap   *capturer
	usage *usageCache

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

// Handler is a public handler that routes by Host on its own: the API host
// (see ServeHTTP) to Config.API, every other host to ServeTunnel. The
// server binary routes hosts itself with ServeAgent and ServeTunnel.
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP routes: the base domain, api.<base> and IP literals → Config.API
// (404 when nil), with the agent upgrade intercepted (ServeAgent); any other
// host → ServeTunnel.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := hostOnly(r.Host)
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
	if t != nil && t.gone() && time.Now().After(t.goneTill) {
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
