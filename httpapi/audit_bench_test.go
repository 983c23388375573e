package httpapi

import (
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
)

// auditBenchEvents is the log size of the audit benchmarks
// (WARREN_BENCH_AUDIT_EVENTS overrides the 200,000 default).
func auditBenchEvents(b *testing.B) int {
	if v := lookupEnvInt(b, "WARREN_BENCH_AUDIT_EVENTS"); v > 0 {
		return v
	}
	return 200_000
}

func lookupEnvInt(b *testing.B, name string) int {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkAudit_Events measures one page of /api/v1/me/events over HTTP
// on loopback. Busy: the caller owns the log's newest events (one chunk
// read). Sparse: the caller's only events are the oldest, so the page walks
// the whole log backwards — the worst case of filtering without an index.
func BenchmarkAudit_Events(b *testing.B) {
	e := mustEnv(b)
	_, sparseKey := e.account(b, "sparse@example.com", "pro", false)
	busy, busyKey := e.account(b, "busy@example.com", "pro", false)
	n := auditBenchEvents(b)
	const batch = 5000
	for done := 0; done < n; done += batch {
		drafts := make([]events.Draft, min(batch, n-done))
		for i := range drafts {
			drafts[i] = events.Draft{Type: events.RequestCaptured, Account: busy, Data: domain.CapturedRequest{
				TunnelID: "tun_x", Tunnel: "bench", Kind: domain.KindHTTP, Method: "GET", Path: "/x/" + strconv.Itoa(done+i),
				Status: 200, DurationMs: 1, BytesIn: 100, BytesOut: 200, IP: "203.0.113.7", Proto: "HTTP/1.1", Host: "bench.warren.test"}}
		}
		if _, err := e.log.Append(context.Background(), drafts...); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct{ name, key string }{{"Busy", busyKey}, {"Sparse", sparseKey}} {
		b.Run(c.name, func(b *testing.B) {
			req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/me/events?limit=100", nil)
			req.Header.Set("Authorization", "Bearer "+c.key)
			for b.Loop() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.ReportMetric(float64(n), "log-events")
		})
	}
	b.Run("Backup", func(b *testing.B) {
		_, opKey := e.account(b, "op@example.com", "pro", true)
		req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/admin/backup", nil)
		req.Header.Set("Authorization", "Bearer "+opKey)
		var bytes int64
		for b.Loop() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			bytes, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		b.SetBytes(bytes)
	})
}

// BenchmarkBackup_Latency measures the API's p99 latency (GET /v1/me and
// POST+DELETE a reservation, sequentially) without and then during online
// backups streamed back to back, over a log of auditBenchEvents events.
func BenchmarkBackup_Latency(b *testing.B) {
	e := mustEnv(b)
	acc, key := e.account(b, "busy@example.com", "pro", false)
	_, opKey := e.account(b, "op@example.com", "pro", true)
	n := auditBenchEvents(b)
	const batch = 5000
	for done := 0; done < n; done += batch {
		drafts := make([]events.Draft, min(batch, n-done))
		for i := range drafts {
			drafts[i] = events.Draft{Type: events.RequestCaptured, Account: acc, Data: domain.CapturedRequest{
				TunnelID: "tun_x", Tunnel: "bench", Kind: domain.KindHTTP, Method: "GET", Path: "/x/" + strconv.Itoa(done+i),
				Status: 200, DurationMs: 1, BytesIn: 100, BytesOut: 200, IP: "203.0.113.7", Proto: "HTTP/1.1", Host: "bench.warren.test"},
				Bodies: [][]byte{nil, []byte(strings.Repeat("response body ", 40) + strconv.Itoa(done+i))}}
		}
		if _, err := e.log.Append(context.Background(), drafts...); err != nil {
			b.Fatal(err)
		}
	}
	call := func(method, path, body string) time.Duration {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, e.ts.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
		return time.Since(start)
	}
	measure := func(rounds int) []time.Duration {
		var ds []time.Duration
		for i := range rounds {
			sub := "lat-" + strconv.Itoa(i)
			ds = append(ds, call("GET", "/v1/me", ""),
				call("POST", "/api/v1/me/reservations", `{"subdomain":"`+sub+`"}`),
				call("DELETE", "/api/v1/me/reservations/"+sub, ""))
		}
		return ds
	}
	p99 := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)*99/100].Microseconds()) / 1000
	}
	var size int64
	var idle, during []time.Duration
	backups := 0
	// Idle and backup rounds alternate, so load from elsewhere on the
	// machine falls on both alike.
	for b.Loop() {
		idle = append(idle, measure(200)...)
		stop := make(chan struct{})
		done := make(chan int, 1)
		go func() {
			n := 0
			for {
				select {
				case <-stop:
					done <- n
					return
				default:
				}
				req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/admin/backup", nil)
				req.Header.Set("Authorization", "Bearer "+opKey)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					continue
				}
				size, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				n++
			}
		}()
		during = append(during, measure(200)...)
		close(stop)
		backups += <-done
	}
	b.ReportMetric(p99(idle), "p99-ms-idle")
	b.ReportMetric(p99(during), "p99-ms-backup")
	b.ReportMetric(float64(backups), "backups")
	b.ReportMetric(float64(size)/(1<<20), "file-MiB")
}
