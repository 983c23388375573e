// An end-to-end throughput benchmark: requests per second through a tunnel
// against straight to the origin, and each process's CPU per request, for
// the deployment as a user runs it (real `warren serve` and `warren http`
// binaries, an origin and a load generator, each its own process), like the
// issue's wrk measurement. edge/bench_test.go's BenchmarkTunnel_Throughput
// runs edge, agent, origin and client in one Go runtime (one scheduler, one
// GC, no process boundaries), which flatters the tunnel; this is the figure
// a user sees.

package main

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

// BenchmarkE2E_Throughput loads the origin directly and through the tunnel
// with a wrk-like generator (raw keep-alive connections, no net/http
// client), interleaving direct and tunnel rounds and comparing medians,
// since the machine is shared. During the rounds each process's CPU time
// (/proc/PID/stat, utime+stime) is divided by the requests answered.
//
// The origin is this test binary re-run as TestBenchOrigin; the server and
// the agent are started by startServer and startAgent. The agent prints a
// line per request, as the CLI does for a user: that is part of what is
// measured. startAgent reads those lines in this process (and keeps them,
// ~80 bytes a request), so the loadgen figure includes reading them.
func BenchmarkE2E_Throughput(b *testing.B) {
	const (
		conns  = 50
		rounds = 7
		d      = time.Second
	)
	ticks, tickNote := clockTicks()

	originAddr, originPID, originOut := startBenchOrigin(b)
	s, a, host := startBenchTunnel(b, originAddr, "bench")
	defer s.Stop(b) // SIGTERM, a clean exit required; the agent is killed at cleanup

	procs := []benchProc{
		{name: "server", pid: s.Cmd.Process.Pid},
		{name: "agent", pid: a.Cmd.Process.Pid},
		{name: "origin", pid: originPID},
		{name: "loadgen", pid: os.Getpid()},
	}
	cpu := func() []int64 { // the first call notes each process's start time
		v := make([]int64, len(procs))
		for i := range procs {
			p := &procs[i]
			t, start, err := procStat(p.pid)
			if p.start == 0 {
				p.start = start
			}
			if err != nil || start != p.start {
				b.Fatalf("%s (pid %d) is gone: %v\norigin:\n%s\nserver stderr:\n%s", p.name, p.pid, err, originOut, s.Stderr)
			}
			v[i] = t
		}
		return v
	}
	// side is one target's rounds: results, CPU ticks per process, requests.
	type side struct {
		addr, host string
		res        []e2eResult
		cpu        []int64
		n          int64
	}
	direct := &side{addr: originAddr, host: originAddr, cpu: make([]int64, len(procs))}
	tunnel := &side{addr: s.Addr, host: host, cpu: make([]int64, len(procs))}
	for _, sd := range []*side{direct, tunnel} {
		e2eLoad(b, sd.addr, sd.host, conns, d) // warm up
	}
	for range rounds {
		for _, sd := range []*side{direct, tunnel} {
			before := cpu()
			r := e2eLoad(b, sd.addr, sd.host, conns, d)
			for i, v := range cpu() {
				sd.cpu[i] += v - before[i]
			}
			sd.n += r.n
			r.percentiles()
			sd.res = append(sd.res, r)
		}
	}

	dm, tm := median(direct.res, e2eResult.rps), median(tunnel.res, e2eResult.rps)
	b.ReportMetric(0, "ns/op") // the whole run, not a request: meaningless here
	b.ReportMetric(dm, "direct-req/s")
	b.ReportMetric(tm, "tunnel-req/s")
	b.ReportMetric(tm/dm, "tunnel/direct")
	perReq := func(ticksUsed, n int64) float64 { return float64(ticksUsed) / float64(ticks) * 1e6 / float64(n) }
	var cpuText []string
	var sum float64
	for i, p := range procs {
		us := perReq(tunnel.cpu[i], tunnel.n)
		sum += us
		cpuText = append(cpuText, fmt.Sprintf("%s %.1f", p.name, us))
		b.ReportMetric(us, p.name+"-cpu-µs/req")
	}
	p50 := func(r e2eResult) time.Duration { return r.p50 }
	p99 := func(r e2eResult) time.Duration { return r.p99 }
	if testing.Verbose() {
		for i := range rounds {
			fmt.Fprintf(os.Stderr, "round %d: direct %.0f req/s (p50 %v, p99 %v), tunnel %.0f req/s (p50 %v, p99 %v)\n", i,
				direct.res[i].rps(), direct.res[i].p50, direct.res[i].p99, tunnel.res[i].rps(), tunnel.res[i].p50, tunnel.res[i].p99)
		}
	}
	fmt.Fprintf(os.Stderr, "e2e throughput, %d conns, medians of %d rounds: direct %.0f req/s (p50 %v, p99 %v), tunnel %.0f req/s (p50 %v, p99 %v), tunnel/direct %.2f; "+
		"CPU µs/req in tunnel rounds: %s (sum %.1f, %.2f of %d cores); direct rounds: origin %.1f, loadgen %.1f; %s\n",
		conns, rounds, dm, median(direct.res, p50), median(direct.res, p99),
		tm, median(tunnel.res, p50), median(tunnel.res, p99), tm/dm,
		strings.Join(cpuText, ", "), sum, sum*tm/1e6, runtime.NumCPU(),
		perReq(direct.cpu[2], direct.n), perReq(direct.cpu[3], direct.n), tickNote)
}

// startBenchTunnel starts `warren serve` and `warren http` for the origin
// at originAddr under the name sub, and returns them and the tunnel's host.
// The caller stops the server (the agent is killed at cleanup).
func startBenchTunnel(b *testing.B, originAddr, sub string) (*warrentest.Server, *warrentest.Agent, string) {
	b.Helper()
	_, originPort, err := net.SplitHostPort(originAddr)
	if err != nil {
		b.Fatalf("origin address %q: %v", originAddr, err)
	}
	s := warrentest.StartServer(b, b.TempDir())
	key := warrentest.KeyRe.FindString(s.WaitOutput(b, "ak_"))
	a := warrentest.StartAgent(b, s, key, "http", originPort, "--subdomain", sub)
	prefix := "Forwarding http://" + sub + "."
	m := regexp.MustCompile(`Forwarding http://(` + regexp.QuoteMeta(sub) + `\.\S+) -> `).FindStringSubmatch(a.Wait(b, prefix))
	if m == nil {
		s.Stop(b)
		b.Fatal("no Forwarding line")
	}
	return s, a, m[1]
}

// benchOriginEnv is the address TestBenchOrigin listens on.
const benchOriginEnv = "WARREN_BENCH_ORIGIN"

// TestBenchOrigin is the end-to-end benchmarks' origin: it answers every
// request with "ok" (or, for ?bytes=N, N zero bytes with a Content-Length)
// on WARREN_BENCH_ORIGIN, prints "origin ADDR" and serves until killed or
// until its stdin closes (the benchmark's end, or its death).
func TestBenchOrigin(t *testing.T) {
	addr := os.Getenv(benchOriginEnv)
	if addr == "" {
		t.Skip("BenchmarkE2E_Throughput's origin process; runs only under it")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, err := strconv.ParseInt(r.URL.Query().Get("bytes"), 10, 64); err == nil {
			serveZeros(w, n)
			return
		}
		io.WriteString(w, "ok")
	})}
	go srv.Serve(ln)
	fmt.Printf("origin %s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

var originLineRe = regexp.MustCompile(`(?m)^origin (\S+)$`)

// startBenchOrigin runs this test binary as TestBenchOrigin on 127.0.0.1:0
// and waits (2 minutes at most: the child's TestMain builds warren first)
// for its address; output is its stdout and stderr, for failure messages.
// At cleanup its stdin is closed, which ends it, and it is killed if it has
// not exited 30 s later.
func startBenchOrigin(b *testing.B) (addr string, pid int, output *warrentest.LockedBuffer) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchOrigin$")
	cmd.Env = warrentest.ChildEnv(benchOriginEnv + "=127.0.0.1:0")
	output = new(warrentest.LockedBuffer)
	cmd.Stdout, cmd.Stderr = output, output
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	b.Cleanup(func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.After(2 * time.Minute)
	for {
		if m := originLineRe.FindStringSubmatch(output.String()); m != nil {
			return m[1], cmd.Process.Pid, output
		}
		select {
		case <-done:
			b.Fatalf("TestBenchOrigin exited before it was ready:\n%s", output)
		case <-deadline:
			b.Fatalf("TestBenchOrigin not ready within 2 minutes:\n%s", output)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// benchProc is a process whose CPU time is measured; start (its start time,
// from /proc) tells it from a later process given the same pid.
type benchProc struct {
	name  string
	pid   int
	start int64
}

// procStat reads /proc/PID/stat: the process's user+system CPU time and its
// start time, both in clock ticks.
func procStat(pid int) (cpu, start int64, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// fields are counted from after it: f[0] is field 3, the state.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	var v [3]int64
	for j, field := range []int{14, 15, 22} { // utime, stime, starttime
		if v[j], err = strconv.ParseInt(f[field-3], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/stat field %d: %v", pid, field, err)
		}
	}
	return v[0] + v[1], v[2], nil
}

// clockTicks is `getconf CLK_TCK` (the unit of /proc/PID/stat times), or
// 100 (Linux's USER_HZ nearly everywhere) if getconf cannot say; the note
// says which.
func clockTicks() (int64, string) {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	n, _ := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || n <= 0 {
		return 100, "clock ticks assumed 100/s (getconf CLK_TCK failed)"
	}
	return n, fmt.Sprintf("clock ticks %d/s (getconf CLK_TCK)", n)
}

// e2eResult is one load run.
type e2eResult struct {
	n        int64
	elapsed  time.Duration
	lat      []time.Duration
	p50, p99 time.Duration
}

func (r e2eResult) rps() float64 { return float64(r.n) / r.elapsed.Seconds() }

// percentiles sorts the latencies (outside the measured CPU window) into
// p50 and p99, then drops them.
func (r *e2eResult) percentiles() {
	slices.Sort(r.lat)
	if len(r.lat) > 0 {
		r.p50, r.p99 = r.lat[len(r.lat)/2], r.lat[len(r.lat)*99/100]
	}
	r.lat = nil
}

// median is the median of f over rs.
func median[T cmp.Ordered](rs []e2eResult, f func(e2eResult) T) T {
	v := make([]T, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// e2eLoad is the load generator, cheap like wrk: conns raw TCP keep-alive
// connections to addr, each writing one pre-built GET / with Host host and
// reading the answer itself, as fast as answers come, for d. Anything but
// a keep-alive 200 "ok" with a Content-Length fails the benchmark.
func e2eLoad(b *testing.B, addr, host string, conns int, d time.Duration) e2eResult {
	b.Helper()
	req := []byte("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatalf("dialing %s: %v", addr, err)
		}
		defer c.Close()
		cs[i] = c
	}
	lat := make([][]time.Duration, conns)
	errs := make([]error, conns)
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for i, c := range cs {
		wg.Go(func() {
			c.SetDeadline(stop.Add(10 * time.Second))
			br := bufio.NewReader(c)
			l := make([]time.Duration, 0, 4096)
			for t0 := time.Now(); t0.Before(stop); t0 = time.Now() {
				if _, errs[i] = c.Write(req); errs[i] == nil {
					errs[i] = readOK(br)
				}
				if errs[i] != nil {
					break
				}
				l = append(l, time.Since(t0))
			}
			lat[i] = l
		})
	}
	wg.Wait()
	r := e2eResult{elapsed: time.Since(start), lat: slices.Concat(lat...)}
	r.n = int64(len(r.lat))
	if failed := slices.DeleteFunc(errs, func(err error) bool { return err == nil }); len(failed) > 0 {
		b.Fatalf("load on %s (Host %s): %d of %d connections failed; the first: %v", addr, host, len(failed), conns, failed[0])
	}
	return r
}

// readOK reads one response: status line, headers up to the blank line,
// then a Content-Length body, which must be "ok". (A chunked or closing
// answer fails here for want of a Content-Length, or at the next request.)
func readOK(br *bufio.Reader) error {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("reading the status line: %w", err)
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q, want HTTP/1.1 200", line)
	}
	length := -1
	for {
		if line, err = br.ReadSlice('\n'); err != nil {
			return fmt.Errorf("reading the headers: %w", err)
		}
		if string(line) == "\r\n" {
			break
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			return fmt.Errorf("malformed header line %q", line)
		}
		if bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return fmt.Errorf("bad Content-Length %q", value)
			}
		}
	}
	if length != 2 {
		return fmt.Errorf("Content-Length %d, want 2 (\"ok\"; -1: none)", length)
	}
	body, err := br.Peek(length)
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	if string(body) != "ok" {
		return fmt.Errorf("body %q, want \"ok\"", body)
	}
	br.Discard(length)
	return nil
}
