package edge

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"warren/edge/agent"
)

// loadResult is one load run: requests per second and latency percentiles.
type loadResult struct {
	rps      float64
	p50, p99 time.Duration
	errors   int64
}

// runLoad drives conns keep-alive clients at addr with Host host for d.
func runLoad(tb testing.TB, addr, host string, conns int, d time.Duration) loadResult {
	tb.Helper()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
		MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true,
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := "http://" + host + "/"
	var n, errs atomic.Int64
	lat := make([][]time.Duration, conns)
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				t0 := time.Now()
				res, err := c.Get(url)
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					errs.Add(1)
				}
				lat[i] = append(lat[i], time.Since(t0))
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(lat...)
	slices.Sort(all)
	r := loadResult{rps: float64(n.Load()) / d.Seconds(), errors: errs.Load()}
	if len(all) > 0 {
		r.p50, r.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	return r
}

// benchSetup is an origin answering 2 bytes, reachable directly and through
// a tunnel of an edge with capture on and one with capture off.
func benchSetup(b *testing.B) (origin string, on, off *testEdge) {
	origin = MustOrigin(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, err := strconv.ParseInt(r.URL.Query().Get("bytes"), 10, 64); err == nil {
			serveBytes(w, n)
			return
		}
		io.WriteString(w, "ok")
	}))
	on = MustEdge(b)
	off = MustEdge(b, func(c *Config) { c.DisableCapture = true })
	for _, te := range []*testEdge{on, off} {
		_, key := te.MustAccount(b, "bench@example.com", "pro")
		MustOpenHTTP(b, te.MustAgent(b, key), origin, "bench-app")
	}
	return origin, on, off
}

func serveBytes(w http.ResponseWriter, n int64) {
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	buf := make([]byte, 256<<10)
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		n -= k
	}
}

// BenchmarkTunnel_Throughput: 50 keep-alive connections, 2-byte answers:
// direct vs through the tunnel with capture on and off. The machine is
// shared, so the three are interleaved over rounds and medians compared.
func BenchmarkTunnel_Throughput(b *testing.B) {
	origin, on, off := benchSetup(b)
	const rounds = 10
	d := time.Second
	runLoad(b, origin, origin, 50, time.Second) // warm up
	runLoad(b, on.addr, "bench-app."+testBase, 50, time.Second)
	var direct, capOn, capOff []loadResult
	for range rounds {
		direct = append(direct, runLoad(b, origin, origin, 50, d))
		capOn = append(capOn, runLoad(b, on.addr, "bench-app."+testBase, 50, d))
		capOff = append(capOff, runLoad(b, off.addr, "bench-app."+testBase, 50, d))
	}
	dm, onm, offm := medianRPS(direct), medianRPS(capOn), medianRPS(capOff)
	st := on.srv.CaptureStats()
	fmt.Fprintf(os.Stderr, "capture: appended %d in %d batches, queue waits %v, failed %d\n", st.Appended, st.Batches, st.Waited, st.Failed)
	b.ReportMetric(dm, "direct-req/s")
	b.ReportMetric(onm, "capture-on-req/s")
	b.ReportMetric(offm, "capture-off-req/s")
	b.ReportMetric(onm/dm, "on/direct")
	b.ReportMetric(onm/offm, "on/off")
	for i := range rounds {
		fmt.Fprintf(os.Stderr, "round %d: direct %.0f, on %.0f (p50 %v, p99 %v, err %d), off %.0f\n", i,
			direct[i].rps, capOn[i].rps, capOn[i].p50, capOn[i].p99, capOn[i].errors, capOff[i].rps)
	}
	fmt.Fprintf(os.Stderr, "throughput 50c medians: direct %.0f req/s, capture on %.0f, off %.0f; on/direct %.2f, on/off %.2f\n",
		dm, onm, offm, onm/dm, onm/offm)
}

func medianRPS(rs []loadResult) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = r.rps
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// BenchmarkTunnel_Latency: 5 connections, the p50 added over direct.
func BenchmarkTunnel_Latency(b *testing.B) {
	origin, on, _ := benchSetup(b)
	runLoad(b, origin, origin, 5, time.Second)
	direct := runLoad(b, origin, origin, 5, 3*time.Second)
	tun := runLoad(b, on.addr, "bench-app."+testBase, 5, 3*time.Second)
	added := tun.p50 - direct.p50
	b.ReportMetric(float64(added.Microseconds())/1000, "added-p50-ms")
	fmt.Fprintf(os.Stderr, "latency 5c: direct p50 %v, tunnel p50 %v, added %v\n", direct.p50, tun.p50, added)
}

// BenchmarkTunnel_Download1GiB: one 1 GiB response, direct vs tunnel.
func BenchmarkTunnel_Download1GiB(b *testing.B) {
	origin, on, _ := benchSetup(b)
	const size = 1 << 30
	get := func(addr, host string) float64 {
		c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		}, DisableCompression: true}}
		t0 := time.Now()
		res, err := c.Get("http://" + host + "/?bytes=" + strconv.Itoa(size))
		if err != nil {
			b.Fatal(err)
		}
		// 256 KiB reads, like curl: io.Discard's 8 KiB ones made the client
		// what limited the direct side.
		n, _ := io.CopyBuffer(struct{ io.Writer }{io.Discard}, res.Body, make([]byte, 256<<10))
		res.Body.Close()
		if n != size {
			b.Fatalf("got %d bytes", n)
		}
		return float64(n) / time.Since(t0).Seconds()
	}
	// Interleaved rounds, medians: the machine is shared.
	var ds, ts []float64
	for range 3 {
		ds = append(ds, get(origin, origin))
		ts = append(ts, get(on.addr, "bench-app."+testBase))
	}
	slices.Sort(ds)
	slices.Sort(ts)
	direct, tun := ds[1], ts[1]
	b.ReportMetric(direct/(1<<20), "direct-MiB/s")
	b.ReportMetric(tun/(1<<20), "tunnel-MiB/s")
	b.ReportMetric(tun/direct, "tunnel/direct")
	fmt.Fprintf(os.Stderr, "1 GiB: direct %.0f MiB/s, tunnel %.0f MiB/s, ratio %.2f\n", direct/(1<<20), tun/(1<<20), tun/direct)
}

// BenchmarkTunnel_IdleAgents: 1,000 agents with one idle tunnel each, run
// in a child process (this test binary, see TestAgentSwarm) so the RSS
// measured is the server's alone.
func BenchmarkTunnel_IdleAgents(b *testing.B) {
	te := MustEdge(b)
	_, key := te.MustAccount(b, "many@example.com", "pro")
	origin := MustOrigin(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	runtime.GC()
	before := rssBytes()
	const n = 1000
	cmd := exec.Command(os.Args[0], "-test.run=^TestAgentSwarm$", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), "WARREN_SWARM_SERVER=http://"+te.addr, "WARREN_SWARM_KEY="+key,
		"WARREN_SWARM_LOCAL="+origin, "WARREN_SWARM_N="+strconv.Itoa(n))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "swarm ready") {
	}
	eventually(b, time.Minute, "1000 live tunnels", func() bool {
		te.srv.mu.RLock()
		defer te.srv.mu.RUnlock()
		return len(te.srv.byID) == n
	})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	after := rssBytes()
	b.ReportMetric(float64(after)/(1<<20), "server-rss-MiB")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "server-heap-inuse-MiB")
	fmt.Fprintf(os.Stderr, "1000 idle agents (agents in a child process): server RSS %.0f MiB (%.0f before they connected), heap in use %.0f MiB, goroutines %d\n",
		float64(after)/(1<<20), float64(before)/(1<<20), float64(ms.HeapInuse)/(1<<20), runtime.NumGoroutine())
}

// TestAgentSwarm is BenchmarkTunnel_IdleAgents' child: it connects
// WARREN_SWARM_N agents with one tunnel each, then waits for stdin to close.
func TestAgentSwarm(t *testing.T) {
	server := os.Getenv("WARREN_SWARM_SERVER")
	if server == "" {
		t.Skip("only run by BenchmarkTunnel_IdleAgents")
	}
	n, _ := strconv.Atoi(os.Getenv("WARREN_SWARM_N"))
	agents := make([]*agent.Client, 0, n)
	for i := 0; i < n; i++ {
		ag, err := agent.Dial(context.Background(), agent.Options{Server: server, Key: os.Getenv("WARREN_SWARM_KEY")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ag.OpenHTTP(context.Background(), os.Getenv("WARREN_SWARM_LOCAL"), fmt.Sprintf("idle-%04d", i)); err != nil {
			t.Fatal(err)
		}
		agents = append(agents, ag)
	}
	fmt.Println("swarm ready")
	io.Copy(io.Discard, os.Stdin)
	for _, ag := range agents {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ag.Close(ctx)
		cancel()
	}
}

// rssBytes reads VmRSS from /proc/self/status (Linux), 0 elsewhere.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
