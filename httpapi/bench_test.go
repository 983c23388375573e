package httpapi

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
)

// benchRequests is how many captured requests the page benchmark builds
// (WARREN_BENCH_REQUESTS overrides the 1,000,000 default).
func benchRequests(b *testing.B) int {
	if v := os.Getenv("WARREN_BENCH_REQUESTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 1_000_000
}

// BenchmarkRequestsPage measures one page (limit=100) of
// /api/v1/me/tunnels/{sub}/requests over HTTP on loopback, with the tunnel
// holding benchRequests captured requests appended through the log in
// batches of 5,000 drafts per Append.
func BenchmarkRequestsPage(b *testing.B) {
	e := mustEnv(b)
	acc, key := e.account(b, "bench@example.com", "pro", false)
	tun := e.tunnel(b, acc, "bench", 0)
	n := benchRequests(b)
	start := time.Now()
	var middle string
	const batch = 5000
	for done := 0; done < n; {
		k := min(batch, n-done)
		drafts := make([]events.Draft, k)
		for i := range drafts {
			drafts[i] = events.Draft{Type: events.RequestCaptured, Account: acc, Data: domain.CapturedRequest{
				TunnelID: tun, Tunnel: "bench", Kind: domain.KindHTTP, Method: "GET", Path: "/x/" + strconv.Itoa(done+i),
				Status: 200, DurationMs: 1, BytesIn: 100, BytesOut: 200, IP: "203.0.113.7", UserAgent: "curl/8.7.1",
				Proto: "HTTP/1.1", Host: "bench.warren.test"}}
		}
		evs, err := e.log.Append(context.Background(), drafts...)
		if err != nil {
			b.Fatal(err)
		}
		if done <= n/2 && n/2 < done+k {
			middle = "req_" + evs[n/2-done].ID.String()
		}
		done += k
	}
	b.Logf("built %d captured requests in %s (%.0f/s)", n, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
	runtime.GC() // the build's garbage is not the reads' cost
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	for _, c := range []struct{ name, query string }{
		{"Newest", "limit=100"},
		{"Middle", "limit=100&before_id=" + middle},
	} {
		b.Run(c.name, func(b *testing.B) {
			url := e.ts.URL + "/api/v1/me/tunnels/bench/requests?" + c.query
			var lat []time.Duration
			for b.Loop() {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body := make([]byte, 0, 64<<10)
				buf := make([]byte, 32<<10)
				for {
					m, err := resp.Body.Read(buf)
					body = append(body, buf[:m]...)
					if err != nil {
						break
					}
				}
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != 200 || strings.Count(string(body), `"id":"req_`) != 100 {
					b.Fatalf("status %d, body %.200s", resp.StatusCode, body)
				}
			}
			reportLatency(b, lat)
		})
		// The same page through the handler alone: the server's own cost,
		// without loopback TCP and the client.
		b.Run(c.name+"Handler", func(b *testing.B) {
			h := e.srv.Handler()
			req := httptest.NewRequest("GET", "/api/v1/me/tunnels/bench/requests?"+c.query, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			var lat []time.Duration
			for b.Loop() {
				w := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(w, req)
				lat = append(lat, time.Since(t0))
				if w.Code != 200 {
					b.Fatalf("status %d", w.Code)
				}
			}
			reportLatency(b, lat)
		})
	}
}

// reportLatency reports p50 and p99 in microseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(p(0.50), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
}

// BenchmarkSSEFanout: 100 subscribers of one tunnel's stream while 1,000
// request.captured events per second are appended for 10 s (one Append per
// event, each from its own goroutine so group commit batches them). Latency
// is from just before Append to the client reading the event; every client
// must read every event exactly once (reconnecting with Last-Event-ID if
// the server cuts it off).
func BenchmarkSSEFanout(b *testing.B) {
	const subscribers, rate = 100, 1000
	dur := 10 * time.Second
	if v := os.Getenv("WARREN_BENCH_SSE_SECONDS"); v != "" {
		s, _ := strconv.Atoi(v)
		dur = time.Duration(s) * time.Second
	}
	for b.Loop() {
		e := mustEnv(b)
		acc, key := e.account(b, "fan@example.com", "pro", false)
		tun := e.tunnel(b, acc, "fan", 0)
		total := int(dur.Seconds()) * rate
		path := "/api/v1/me/tunnels/fan/requests/stream"

		var mu sync.Mutex
		var lat []time.Duration
		var reconnects atomic.Int64
		counts := make([]int, subscribers)
		var wg sync.WaitGroup
		ready := make(chan struct{}, subscribers)
		ctx, cancel := context.WithTimeout(context.Background(), dur+60*time.Second)
		for i := 0; i < subscribers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				last, mine := "", make([]time.Duration, 0, total)
				first := true
				for counts[i] < total && ctx.Err() == nil {
					req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+path, nil)
					req.Header.Set("Authorization", "Bearer "+key)
					if last != "" {
						req.Header.Set("Last-Event-ID", last)
					}
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						continue
					}
					if first {
						ready <- struct{}{}
						first = false
					} else {
						reconnects.Add(1)
					}
					sc := bufio.NewScanner(resp.Body)
					for sc.Scan() && counts[i] < total {
						line := sc.Text()
						if id, ok := strings.CutPrefix(line, "id: "); ok {
							last = id
						} else if data, ok := strings.CutPrefix(line, "data: "); ok {
							at := time.Now()
							j := strings.Index(data, `"path":"/t/`)
							ns, _ := strconv.ParseInt(data[j+11:j+11+strings.IndexByte(data[j+11:], '"')], 10, 64)
							mine = append(mine, at.Sub(time.Unix(0, ns)))
							counts[i]++
						}
					}
					resp.Body.Close()
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}(i)
		}
		for i := 0; i < subscribers; i++ {
			<-ready
		}
		tick := time.NewTicker(time.Second / rate)
		sem := make(chan struct{}, 512)
		var appends sync.WaitGroup
		for sent := 0; sent < total; sent++ {
			<-tick.C
			sem <- struct{}{}
			appends.Add(1)
			go func(k int) {
				defer func() { <-sem; appends.Done() }()
				d := captureDraft(acc, tun, "fan", k, nil, nil)
				cr := d.Data.(domain.CapturedRequest)
				cr.Path = "/t/" + strconv.FormatInt(time.Now().UnixNano(), 10)
				d.Data = cr
				if _, err := e.log.Append(context.Background(), d); err != nil {
					b.Error(err)
				}
			}(sent)
		}
		tick.Stop()
		appends.Wait()
		wg.Wait()
		cancel()
		lost := 0
		for _, c := range counts {
			lost += total - c
		}
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(reconnects.Load()), "reconnects")
		b.ReportMetric(float64(len(lat)), "delivered")
		reportLatency(b, lat)
	}
}
