package edge

import (
	"net/http"
	"sync/atomic"
	"time"

	"warren/domain"
	"warren/events"
)

// requestStats counts the public HTTP requests the edge answered on tunnel
// hosts. The request path only adds to atomics; Stats reads them at scrape
// time. No label of a tunnel, an account, a host or a path: those are
// unbounded, a metrics backend's worst case.
type requestStats struct {
	byClass  [len(codeClasses)]atomic.Uint64
	duration *events.Histogram
}

// codeClasses are the status classes requests are counted by; a status
// outside 100–599 counts as "other".
var codeClasses = [...]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// requestBounds are the buckets of a request's duration through a tunnel:
// a round trip to a laptop is milliseconds to seconds; a slow local
// service or a large body, longer.
var requestBounds = []time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second,
	2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
}

func newRequestStats() *requestStats {
	return &requestStats{duration: events.NewHistogram(requestBounds...)}
}

// served counts one answered request. An upgraded connection (a WebSocket)
// is counted but not timed: its duration is the connection's life, which
// would drown the requests' in the histogram.
func (r *requestStats) served(status int, d time.Duration, upgraded bool) {
	class := 0
	if status >= 100 && status < 600 {
		class = status / 100
	}
	r.byClass[class].Add(1)
	if !upgraded {
		r.duration.Observe(d)
	}
}

// Stats are the edge's numbers as a metrics scrape sees them.
type Stats struct {
	// HTTPRequests counts public HTTP requests answered on tunnel hosts
	// (captured ones, unknown hosts' 404s, 503s while the log cannot
	// record), by status class: "1xx" … "5xx", "other". Every class is
	// present, zero or not.
	HTTPRequests map[string]uint64
	// HTTPDuration is how long those requests took, upgrades excepted.
	HTTPDuration events.HistogramSnapshot
	// AgentSessions is the agent sessions connected now.
	AgentSessions int
	// Tunnels is the tunnels open now by protocol; "http" and "tcp" are
	// always present.
	Tunnels map[string]int
	// Capture is the capture pipeline's counters.
	Capture CaptureStats
}

// Stats reads the edge's numbers. The counters are atomics; sessions and
// tunnels are counted under the read lock, briefly, at scrape time only.
func (s *Server) Stats() Stats {
	st := Stats{
		HTTPRequests: make(map[string]uint64, len(codeClasses)),
		HTTPDuration: s.stats.duration.Snapshot(),
		Tunnels:      map[string]int{domain.ProtoHTTP: 0, domain.ProtoTCP: 0},
		Capture:      s.CaptureStats(),
	}
	for i, c := range codeClasses {
		st.HTTPRequests[c] = s.stats.byClass[i].Load()
	}
	s.mu.RLock()
	st.AgentSessions = len(s.sessions)
	for _, t := range s.byID {
		st.Tunnels[t.info.Proto]++
	}
	s.mu.RUnlock()
	return st
}

// notFound answers a host the edge does not serve with a 404 page, counted
// like the tunnels' answers.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, title, msg string) {
	start := time.Now()
	writeError(w, r, http.StatusNotFound, "not_found", title, msg)
	s.stats.served(http.StatusNotFound, time.Since(start), false)
}
