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
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge/agent"
	"warren/projections"
)

// startRemoteAgent runs an origin serving ?bytes=N and an agent with one
// HTTP tunnel sub in a child process (this test binary, see
// TestRemoteAgentChild), so that what this process allocates is the
// server's alone. It returns once the tunnel is open.
func startRemoteAgent(tb testing.TB, te *testEdge, key, sub string) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRemoteAgentChild$", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), "WARREN_CHILD_SERVER=http://"+te.addr, "WARREN_CHILD_KEY="+key, "WARREN_CHILD_SUB="+sub)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "child ready") {
			go io.Copy(io.Discard, stdout) // owned: ends when the child exits, before Wait returns
			return
		}
	}
	tb.Fatal("the agent child process did not start")
}

// TestRemoteAgentChild is startRemoteAgent's child: an origin and an agent,
// until stdin closes.
func TestRemoteAgentChild(t *testing.T) {
	server := os.Getenv("WARREN_CHILD_SERVER")
	if server == "" {
		t.Skip("only run by startRemoteAgent")
	}
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.ParseInt(r.URL.Query().Get("bytes"), 10, 64)
		serveBytes(w, n)
	}))
	ag, err := agent.Dial(context.Background(), agent.Options{Server: server, Key: os.Getenv("WARREN_CHILD_KEY")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ag.OpenHTTP(context.Background(), origin, os.Getenv("WARREN_CHILD_SUB")); err != nil {
		t.Fatal(err)
	}
	fmt.Println("child ready")
	io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ag.Close(ctx)
}

func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestVisitorsThatNeverReadHoldBoundedMemory: 60 public connections ask a
// tunnel for a 1 GiB download, read the status line and then nothing. The
// server's heap (and RSS) must not grow by more than 256 MiB: what one public
// connection can make the server hold is bounded (it was the 16 MiB yamux
// window, in a buffer that grows to twice that: 60 of them took a server
// from 56 MB to 2.85 GB).
func TestVisitorsThatNeverReadHoldBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves gigabytes")
	}
	te := MustEdge(t)
	_, key := te.MustAccount(t, "visitor@example.com", "pro")
	startRemoteAgent(t, te, key, "big")
	runtime.GC()
	before, rssBefore := heapInuse(), rssBytes()

	const visitors = 60
	conns := make([]net.Conn, 0, visitors)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range visitors {
		c, err := net.Dial("tcp", te.addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if _, err := io.WriteString(c, "GET /?bytes=1073741824 HTTP/1.1\r\nHost: big."+testBase+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	// Each answer started (the download is under way), then nobody reads.
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, err := bufio.NewReaderSize(c, 16).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Fatalf("answer %q, %v", line, err)
		}
	}
	// Watch the heap until it stops growing (the buffers along the way are
	// full), failing as soon as it crosses the bound.
	const bound = 256 << 20
	peak := before
	lastGrowth := time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && time.Since(lastGrowth) < 2*time.Second; {
		time.Sleep(100 * time.Millisecond)
		h := heapInuse()
		if h > peak+1<<20 {
			lastGrowth = time.Now()
		}
		peak = max(peak, h)
		// RSS too, but not under the race detector, whose shadow memory is in it.
		if peak-before > bound || !raceEnabled && rssBytes()-rssBefore > bound {
			if f := os.Getenv("WARREN_HEAPPROF"); f != "" {
				fh, _ := os.Create(f)
				pprof.WriteHeapProfile(fh)
				fh.Close()
			}
			t.Fatalf("server heap grew by %d MiB (RSS by %d MiB) with %d visitors not reading (bound %d MiB)", (peak-before)>>20, (rssBytes()-rssBefore)>>20, visitors, bound>>20)
		}
	}
	t.Logf("server heap grew by %d MiB (RSS by %d MiB) with %d visitors not reading", (peak-before)>>20, (rssBytes()-rssBefore)>>20, visitors)
}

// TestConnectionsOverTheCapsAreRefused: past the per-client cap a visitor
// gets a 429, past the per-tunnel cap a 503; each refusal is captured, and
// a slot is free again once an exchange ends.
func TestConnectionsOverTheCapsAreRefused(t *testing.T) {
	release := make(chan struct{})
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			<-release
		}
	}))
	t.Run("PerClient", func(t *testing.T) {
		te := MustEdge(t, func(c *Config) { c.MaxConnsPerClient = 2; c.MaxConnsPerTunnel = 10 })
		acc, key := te.MustAccount(t, "caps@example.com", "pro")
		MustOpenHTTP(t, te.MustAgent(t, key), origin, "capped")
		checkCap(t, te, acc, release, 2, http.StatusTooManyRequests, "too_many_connections")
	})
	release = make(chan struct{})
	t.Run("PerTunnel", func(t *testing.T) {
		te := MustEdge(t, func(c *Config) { c.MaxConnsPerClient = 10; c.MaxConnsPerTunnel = 3 })
		acc, key := te.MustAccount(t, "caps@example.com", "pro")
		MustOpenHTTP(t, te.MustAgent(t, key), origin, "capped")
		checkCap(t, te, acc, release, 3, http.StatusServiceUnavailable, "tunnel_busy")
	})
}

// checkCap holds n requests open, checks the next is refused with status
// and code, then releases them and checks a request passes again.
func checkCap(t *testing.T, te *testEdge, acc string, release chan struct{}, n, status int, code string) {
	t.Helper()
	var held []*http.Response
	for range n {
		res, err := te.client.Get(te.url("capped", "/hold"))
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("held request %d: %v %v", len(held), res, err)
		}
		held = append(held, res)
	}
	res, err := te.client.Get(te.url("capped", "/"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != status || res.Header.Get("X-Warren-Error") != code {
		t.Fatalf("over the cap: %d %q, want %d %q", res.StatusCode, res.Header.Get("X-Warren-Error"), status, code)
	}
	close(release)
	for _, r := range held {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	eventually(t, 5*time.Second, "a free slot", func() bool {
		res, err := te.client.Get(te.url("capped", "/"))
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	got := te.waitCapturedAtLeast(t, acc, n+2)
	var refused int
	for _, cr := range got {
		if cr.Error == code && cr.Status == status {
			refused++
		}
	}
	if refused != 1 {
		t.Fatalf("%d captured refusals (%s), want 1", refused, code)
	}
}

// waitCapturedAtLeast waits until the account has at least n captured requests.
func (te *testEdge) waitCapturedAtLeast(tb testing.TB, acc string, n int) []domain.CapturedRequest {
	tb.Helper()
	var got []domain.CapturedRequest
	eventually(tb, 10*time.Second, "captures", func() bool {
		got = te.captures(tb, acc)
		return len(got) >= n
	})
	return got
}

func (te *testEdge) captures(tb testing.TB, acc string) []domain.CapturedRequest {
	tb.Helper()
	got, err := projections.View(te.log.DB(), func(tx *bolt.Tx) ([]domain.CapturedRequest, error) {
		return projections.Requests(tx, acc, "", ulid.ULID{}, 1000)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

// TestTCPConnectionsOverTheTunnelCapAreClosed: a TCP tunnel's connections
// count against the same caps; one over is closed at once and captured.
func TestTCPConnectionsOverTheTunnelCapAreClosed(t *testing.T) {
	te := MustEdge(t, func(c *Config) { c.TCPPorts = freePortRange(t); c.MaxConnsPerTunnel = 1 })
	acc, key := te.MustAccount(t, "tcpcap@example.com", "pro")
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tun, err := te.MustAgent(t, key).OpenTCP(ctx, echo.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(tun.Port))
	first, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	io.WriteString(first, "hi")
	buf := make([]byte, 2)
	first.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(first, buf); err != nil { // admitted: it echoes
		t.Fatal(err)
	}
	second, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := second.Read(buf); err != io.EOF {
		t.Fatalf("a connection over the tunnel's cap: read %d, %v; want it closed", n, err)
	}
	got := te.waitCapturedAtLeast(t, acc, 1)
	if got[0].Error != "tunnel_busy" || got[0].Kind != "tcp" {
		t.Fatalf("capture %+v, want a tcp tunnel_busy", got[0])
	}
}

// TestCaptureBodyStopsAtTheBudget: a capture takes room from the budget of
// captures in flight as it grows; out of room it keeps what it had (a
// prefix) and is recorded truncated, and its room comes back on release.
func TestCaptureBodyStopsAtTheBudget(t *testing.T) {
	b := &memBudget{max: 3000}
	c := captureBody{limit: 10 << 20, budget: b}
	chunk := make([]byte, 700)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	for range 10 {
		c.add(chunk)
	}
	info := c.info()
	if info.Size != 7000 || !info.Truncated || info.Stored == 0 || info.Stored > 3000 || b.used.Load() > 3000 {
		t.Fatalf("info %+v, budget used %d", info, b.used.Load())
	}
	got := c.bytes()
	for i, v := range got {
		if v != byte(i%700) {
			t.Fatalf("stored bytes are not a prefix of the body at %d", i)
		}
	}
	c.release()
	if b.used.Load() != 0 {
		t.Fatalf("budget still holds %d after release", b.used.Load())
	}
	small := captureBody{limit: 1 << 20, budget: b}
	small.add([]byte("ok"))
	if s := small.info(); s.Stored != 2 || s.Truncated || b.used.Load() > minChunk {
		t.Fatalf("a small body: %+v, budget used %d", s, b.used.Load())
	}
}
