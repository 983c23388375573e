// Verify and rebuild on a log of real captures (issue 15, item 3): the log
// is built by sending small GETs through the real binaries (`warren serve`,
// `warren http`, a local origin), not by appending synthetic events, and
// `warren events verify` and `warren rebuild` are then run on it as a user
// runs them, each its own process, timed and with its peak RSS read from
// the kernel (rusage). Building a million captures takes minutes, so the
// benchmark runs only when asked and keeps the log to be reused.

package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

// Environment of BenchmarkLog_VerifyRebuild.
const (
	benchLogEnv    = "WARREN_BENCH_LOG"     // captures to build: 200000, 200k, 1M
	benchLogDirEnv = "WARREN_BENCH_LOG_DIR" // where the data directory is kept (default: under $TMPDIR)
)

// benchLogAnswer is the origin's answer: 62 bytes of JSON, like the workload.
var benchLogAnswer = []byte(`{"id":12345,"name":"warren","status":"ok","items":[1,2,3,4,5]}`)

// BenchmarkLog_VerifyRebuild builds (or reuses) a data directory holding
// WARREN_BENCH_LOG captured requests made through the edge, then runs
// `warren events verify` and `warren rebuild` on it and reports events/s
// and peak RSS for each. The directory is WARREN_BENCH_LOG_DIR, or
// $TMPDIR/warren-bench-log-N; a directory whose log already holds N
// captures is reused as it is (delete it to build afresh).
//
//	WARREN_BENCH_LOG=1M go test -run=NONE -bench=Log_VerifyRebuild -benchtime=1x -timeout=2h ./cmd/warren/
func BenchmarkLog_VerifyRebuild(b *testing.B) {
	n, err := parseCount(os.Getenv(benchLogEnv))
	if n == 0 || err != nil {
		b.Skipf("set %s=N (e.g. 1M) to build a log of N captures through the edge (%v)", benchLogEnv, err)
	}
	data := os.Getenv(benchLogDirEnv)
	if data == "" {
		data = filepath.Join(os.TempDir(), fmt.Sprintf("warren-bench-log-%d", n))
	}
	marker := filepath.Join(data, "bench-log-built")
	if _, err := os.Stat(marker); err != nil {
		if err := os.MkdirAll(data, 0o700); err != nil {
			b.Fatal(err)
		}
		buildBenchLog(b, data, n)
		if err := os.WriteFile(marker, []byte(strconv.FormatInt(n, 10)+"\n"), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	if fi, err := os.Stat(filepath.Join(data, "warren.db")); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(n), "db-bytes/capture")
	}
	b.ReportMetric(0, "ns/op")
	for range b.N {
		v := runTimed(b, "events", "verify", "--data", data)
		events := parseEventCount(b, v.out, `ok: (\d+) events verified`)
		r := runTimed(b, "rebuild", "--data", data)
		rebuilt := parseEventCount(b, r.out, `rebuilt projections from (\d+) events`)
		b.ReportMetric(float64(events)/v.took.Seconds(), "verify-events/s")
		b.ReportMetric(float64(v.maxRSS)/(1<<20), "verify-peak-MiB")
		b.ReportMetric(float64(rebuilt)/r.took.Seconds(), "rebuild-events/s")
		b.ReportMetric(float64(r.maxRSS)/(1<<20), "rebuild-peak-MiB")
		fmt.Fprintf(os.Stderr, "log %s: %d events; verify %.0f events/s, peak RSS %d MiB; rebuild %.0f events/s, peak RSS %d MiB\n",
			data, events, float64(events)/v.took.Seconds(), v.maxRSS>>20, float64(rebuilt)/r.took.Seconds(), r.maxRSS>>20)
	}
}

// parseCount reads 200000, 200k or 1M.
func parseCount(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	mult := int64(1)
	switch s[len(s)-1] {
	case 'k', 'K':
		mult, s = 1_000, s[:len(s)-1]
	case 'm', 'M':
		mult, s = 1_000_000, s[:len(s)-1]
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v * mult, err
}

// buildBenchLog starts a server on data, an agent for an origin answering
// benchLogAnswer, and sends n GETs with a few headers through the tunnel
// on raw keep-alive connections, then stops the server cleanly.
func buildBenchLog(b *testing.B, data string, n int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(benchLogAnswer)
	})}
	var served sync.WaitGroup
	served.Go(func() { origin.Serve(ln) })
	defer func() { origin.Close(); served.Wait() }()

	_, port, _ := net.SplitHostPort(ln.Addr().String())
	s := warrentest.StartServer(b, data)
	key := warrentest.KeyRe.FindString(s.WaitOutput(b, "ak_"))
	a := warrentest.StartAgent(b, s, key, "http", port, "--subdomain", "bench")
	m := regexp.MustCompile(`Forwarding http://(bench\.\S+) -> `).FindStringSubmatch(a.Wait(b, "Forwarding http://bench."))
	if m == nil {
		s.Stop(b)
		b.Fatal("no Forwarding line")
	}
	req := []byte("GET /api/items?page=1 HTTP/1.1\r\nHost: " + m[1] + "\r\nUser-Agent: bench/1.0\r\n" +
		"Accept: application/json\r\nAccept-Encoding: gzip\r\nX-Request-Source: bench-log\r\n\r\n")
	const conns = 20
	var left atomic.Int64
	left.Store(n)
	errs := make([]error, conns)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", s.Addr)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for left.Add(-1) >= 0 {
				c.SetDeadline(time.Now().Add(30 * time.Second))
				if _, errs[i] = c.Write(req); errs[i] == nil {
					_, errs[i] = http.ReadResponse(br, nil)
					if errs[i] == nil {
						errs[i] = discardBody(br)
					}
				}
				if errs[i] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	for _, err := range errs {
		if err != nil {
			b.Fatalf("building the log: %v", err)
		}
	}
	s.Stop(b)
	fmt.Fprintf(os.Stderr, "built %s: %d captures through the edge in %s (%.0f req/s)\n", data, n, took.Round(time.Second), float64(n)/took.Seconds())
}

// discardBody reads the answer's body: the tunnel relays the origin's
// Content-Length, so it is len(benchLogAnswer) bytes.
func discardBody(br *bufio.Reader) error {
	_, err := br.Discard(len(benchLogAnswer))
	return err
}

// timedRun is one child's output, wall time and peak resident set.
type timedRun struct {
	out    string
	took   time.Duration
	maxRSS int64 // bytes
}

// runTimed runs warren with args and fails the benchmark unless it exits 0.
func runTimed(b *testing.B, args ...string) timedRun {
	cmd := exec.Command(warrentest.Bin(), args...)
	cmd.Env = warrentest.ChildEnv()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		b.Fatalf("warren %v: %v\n%s", args, err, out)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r := timedRun{out: string(out), took: took}
	if ru != nil {
		r.maxRSS = ru.Maxrss << 10 // Linux reports KiB
	}
	return r
}

// parseEventCount reads the event count a command printed.
func parseEventCount(b *testing.B, out, re string) int64 {
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		b.Fatalf("no %q in:\n%s", re, out)
	}
	v, _ := strconv.ParseInt(m[1], 10, 64)
	return v
}
