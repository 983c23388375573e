package edge

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"warren/domain"
)

// TestServer_Stats counts what public requests the edge answered, by status
// class (the tunnel's answers, a 503 while the log cannot record, a 404 for
// a host nobody serves), times them, and reports the sessions and tunnels
// open.
func TestServer_Stats(t *testing.T) {
	var full atomic.Bool
	te := MustEdge(t, func(c *Config) {
		c.Writable = func() error {
			if full.Load() {
				return errors.New("no space left on device")
			}
			return nil
		}
	})
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok")
	}))
	st := te.srv.Stats()
	if st.AgentSessions != 0 || st.Tunnels[domain.ProtoHTTP] != 0 || st.Tunnels[domain.ProtoTCP] != 0 {
		t.Fatalf("before any agent: %+v", st)
	}
	_, key := te.MustAccount(t, "stats@example.com", "pro")
	MustOpenHTTP(t, te.MustAgent(t, key), origin, "counted")
	get := func(url string) int {
		t.Helper()
		res, err := te.client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	for _, path := range []string{"/", "/", "/boom"} {
		get(te.url("counted", path))
	}
	get(te.url("nobody", "/"))
	full.Store(true)
	eventually(t, 5*time.Second, "the unwritable log seen", func() bool { // asked every 250 ms
		return get(te.url("counted", "/")) == http.StatusServiceUnavailable
	})

	st = te.srv.Stats()
	if st.HTTPRequests["2xx"] < 2 || st.HTTPRequests["5xx"] < 2 || st.HTTPRequests["4xx"] != 1 ||
		st.HTTPRequests["1xx"] != 0 || st.HTTPRequests["3xx"] != 0 || st.HTTPRequests["other"] != 0 {
		t.Errorf("requests by class: %v", st.HTTPRequests)
	}
	var total uint64
	for _, n := range st.HTTPRequests {
		total += n
	}
	if st.HTTPDuration.Count != total || st.HTTPDuration.Sum <= 0 {
		t.Errorf("duration histogram: %d observations (sum %v s), %d requests", st.HTTPDuration.Count, st.HTTPDuration.Sum, total)
	}
	if st.Capture.Unwritable == 0 {
		t.Errorf("no unwritable refusal counted: %+v", st.Capture)
	}
	if st.AgentSessions != 1 || st.Tunnels[domain.ProtoHTTP] != 1 || st.Tunnels[domain.ProtoTCP] != 0 {
		t.Errorf("sessions %d, tunnels %v; want 1 and one http", st.AgentSessions, st.Tunnels)
	}
}

// TestRequestStats_CountsUpgradesUntimed: a WebSocket's life is not a
// request's duration, and a status outside 100–599 is "other".
func TestRequestStats_CountsUpgradesUntimed(t *testing.T) {
	r := newRequestStats()
	r.served(http.StatusSwitchingProtocols, time.Hour, true)
	r.served(0, time.Millisecond, false)
	r.served(http.StatusOK, 3*time.Millisecond, false)
	if r.byClass[1].Load() != 1 || r.byClass[0].Load() != 1 || r.byClass[2].Load() != 1 {
		t.Errorf("classes: 1xx %d, other %d, 2xx %d", r.byClass[1].Load(), r.byClass[0].Load(), r.byClass[2].Load())
	}
	h := r.duration.Snapshot()
	if h.Count != 2 || h.Sum != (4*time.Millisecond).Seconds() || h.Buckets[0.005] != 2 {
		t.Errorf("histogram %+v; want the two requests, not the upgrade", h)
	}
}

// BenchmarkRequestStats_Served is what counting adds to each public
// request: a counter and a histogram bucket, atomics only, from every core.
func BenchmarkRequestStats_Served(b *testing.B) {
	r := newRequestStats()
	b.RunParallel(func(pb *testing.PB) {
		d := 3 * time.Millisecond
		for pb.Next() {
			r.served(http.StatusOK, d, false)
		}
	})
}
