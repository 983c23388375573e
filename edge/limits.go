package edge

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// connLimits counts the public exchanges in flight (HTTP requests, upgraded
// connections, TCP connections) per tunnel and per client address, so that
// one visitor, or one tunnel's visitors, can only make the server hold so
// much: each exchange in flight may hold a stream window, a copy buffer and
// a capture.
type connLimits struct {
	perTunnel, perClient int // <= 0: no cap

	mu     sync.Mutex
	byAddr map[string]int
}

func newConnLimits(perTunnel, perClient int) *connLimits {
	return &connLimits{perTunnel: perTunnel, perClient: perClient, byAddr: map[string]int{}}
}

// Which cap refused an exchange.
const (
	refusedNone = iota
	refusedClient
	refusedTunnel
)

// admit counts one exchange of ip through t, or refuses it (refusedClient,
// refusedTunnel) without counting it. A counted one ends with leave.
func (l *connLimits) admit(t *tunnel, ip string) int {
	if n := t.inflight.Add(1); l.perTunnel > 0 && n > int64(l.perTunnel) {
		t.inflight.Add(-1)
		return refusedTunnel
	}
	l.mu.Lock()
	n := l.byAddr[ip] + 1
	if l.perClient > 0 && n > l.perClient {
		l.mu.Unlock()
		t.inflight.Add(-1)
		return refusedClient
	}
	l.byAddr[ip] = n
	l.mu.Unlock()
	return refusedNone
}

func (l *connLimits) leave(t *tunnel, ip string) {
	t.inflight.Add(-1)
	l.mu.Lock()
	if n := l.byAddr[ip] - 1; n > 0 {
		l.byAddr[ip] = n
	} else {
		delete(l.byAddr, ip)
	}
	l.mu.Unlock()
}

// admitExchange applies the caps to x. Refused, it records why on x, answers
// (unless w is nil: TCP), logs (at most once a second per tunnel) and
// returns false; admitted, the caller calls s.limits.leave when x ends.
func (s *Server) admitExchange(w http.ResponseWriter, r *http.Request, x *exchange) bool {
	why := s.limits.admit(x.t, x.ip)
	if why == refusedNone {
		return true
	}
	status, code, limit := http.StatusTooManyRequests, "too_many_connections", s.cfg.MaxConnsPerClient
	if why == refusedTunnel {
		status, code, limit = http.StatusServiceUnavailable, "tunnel_busy", s.cfg.MaxConnsPerTunnel
	}
	x.setError(code, status)
	if now := time.Now().UnixNano(); now-x.t.refusedLog.Load() > int64(time.Second) {
		x.t.refusedLog.Store(now)
		s.cfg.Logger.Warn("public connection refused: over a cap", "tunnel", x.t.name, "client", x.ip, "error", code, "cap", limit)
	}
	if w == nil {
		return false
	}
	w.Header().Set("Retry-After", "1")
	if why == refusedTunnel {
		writeError(w, r, status, code, "Tunnel busy",
			"The tunnel "+x.t.name+" already has "+strconv.Itoa(limit)+" requests in flight, its most. Try again shortly.")
	} else {
		writeError(w, r, status, code, "Too many connections",
			"Your address already has "+strconv.Itoa(limit)+" requests in flight through this server, its most. Try again shortly.")
	}
	return false
}

// memBudget bounds the bytes held by captures of exchanges in flight. It
// never waits: a capture that finds no room stops storing (its body is
// recorded truncated) and the exchange goes on.
type memBudget struct {
	used atomic.Int64
	max  int64
}

func (b *memBudget) tryAcquire(n int64) bool {
	if b == nil || n <= 0 {
		return true
	}
	for {
		u := b.used.Load()
		if u+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

func (b *memBudget) release(n int64) {
	if b != nil && n > 0 {
		b.used.Add(-n)
	}
}

// writableEvery is how often Config.Writable is asked.
const writableEvery = 250 * time.Millisecond

// writableGate caches Config.Writable's answer: one caller at a time asks
// it again once the answer is writableEvery old, the others read the last
// one, so a slow check never holds up the public requests together.
type writableGate struct {
	check      func() error
	refreshing atomic.Bool
	next       atomic.Int64 // unix ns after which the answer is stale
	last       atomic.Pointer[error]
}

// err is the last answer (nil: writable).
func (g *writableGate) err() error {
	if g.check == nil {
		return nil
	}
	if time.Now().UnixNano() >= g.next.Load() && g.refreshing.CompareAndSwap(false, true) {
		err := g.check()
		g.last.Store(&err)
		g.next.Store(time.Now().Add(writableEvery).UnixNano())
		g.refreshing.Store(false)
	}
	if p := g.last.Load(); p != nil {
		return *p
	}
	return nil
}

// refuseUncapturable answers 503 (w nil: TCP, nothing to answer) and
// returns true while the log cannot record captures, unless the operator
// chose to serve uncaptured. Such a request is not captured: it could not
// be, and it was not served.
func (s *Server) refuseUncapturable(w http.ResponseWriter, r *http.Request, t *tunnel) bool {
	err := s.writable.err()
	if err == nil || s.cfg.ServeUncaptured {
		return false
	}
	s.unwritable.Add(1)
	if now := time.Now().UnixNano(); now-t.refusedLog.Load() > int64(time.Second) {
		t.refusedLog.Store(now)
		s.cfg.Logger.Error("public request refused: the event log cannot record captures", "tunnel", t.name, "err", err)
	}
	if w != nil {
		start := time.Now()
		w.Header().Set("Retry-After", "5")
		writeError(w, r, http.StatusServiceUnavailable, "capture_unavailable", "Temporarily unavailable",
			"This server cannot record requests right now (its event log cannot be written), so it does not forward them to "+
				t.name+". Try again shortly.")
		s.stats.served(http.StatusServiceUnavailable, time.Since(start), false)
	}
	return true
}
