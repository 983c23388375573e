package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
	"warren/edge/wire"
)

// apiCall sends one API request with key and decodes a JSON answer into out
// (when out is not nil); it returns the status.
func apiCall(t *testing.T, s *warrentest.Server, key, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+s.Addr+path, rd)
	req.Host = "localhost"
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return res.StatusCode
}

// newKey makes another API key on the operator's account.
func newKey(t *testing.T, s *warrentest.Server, operator string) (id, secret string) {
	t.Helper()
	var k struct{ ID, Key string }
	if st := apiCall(t, s, operator, "POST", "/v1/keys", map[string]string{"description": "e2e"}, &k); st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("POST /v1/keys: %d", st)
	}
	return k.ID, k.Key
}

// stuckAgent connects with key, opens a tunnel, then only sends heartbeats
// and never reads again: `warren http 3000 | less` at its worst. It returns
// the session; the heartbeats stop when it is closed.
func stuckAgent(t *testing.T, s *warrentest.Server, key, sub string) *warrentest.RawAgent {
	t.Helper()
	a := warrentest.DialRawAgent(t, s.Addr, key)
	a.Send(t, wire.Msg{Type: wire.TypeOpen, Ref: "1", Proto: "http", Subdomain: sub, Local: "127.0.0.1:9", Lines: true})
	a.ReadUntil(t, wire.TypeOpened)
	// Every heartbeat is answered. 50,000 answers are 1.3 MB against the
	// 256 KiB our window lets the server send unread; the writes below
	// return once the server has taken in at least all but its own 512 KiB
	// window of them, so its control writer is blocked when they have.
	hb, _ := json.Marshal(wire.Msg{V: wire.Version, Type: wire.TypeHeartbeat})
	batch := bytes.Repeat(append(hb, '\n'), 1000)
	for range 50 {
		_ = a.Control.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := a.Control.Write(batch); err != nil {
			t.Fatalf("sending heartbeats: %v", err)
		}
	}
	return a
}

// TestStuckAgentNeverWedgesServe is the issue's `warren http 3000 | sleep
// 600` seen from the server, end to end on the real binary: agents that
// stop reading their control stream do not stop another tunnel from
// serving, a revoked key's stuck session is closed within 1 s, and serve
// stops within its shutdown deadline with a stuck agent still connected.
func TestStuckAgentNeverWedgesServe(t *testing.T) {
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "healthy")
	}))
	defer local.Close()
	// A write timeout far longer than the test, so what ends the stuck
	// sessions here is the revocation and the shutdown, not the cut-off
	// (edge tests cover that).
	s := warrentest.StartServerAt(t, t.TempDir(), "127.0.0.1:0", "WARREN_SHUTDOWN_GRACE=2s", "WARREN_AGENT_WRITE_TIMEOUT=5m")
	operator := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))

	healthy := warrentest.StartAgent(t, s, operator, "http", strings.TrimPrefix(local.URL, "http://"), "--subdomain", "healthy")
	healthy.Wait(t, "Forwarding")
	_, port, _ := net.SplitHostPort(s.Addr)

	revokedID, revokedKey := newKey(t, s, operator)
	_, keptKey := newKey(t, s, operator)
	revoked := stuckAgent(t, s, revokedKey, "stuck-one")
	kept := stuckAgent(t, s, keptKey, "stuck-two")

	for i := range 5 {
		if st, body := warrentest.PublicGet(t, s, "healthy.localhost:"+port, "/"); st != 200 || body != "healthy" {
			t.Fatalf("request %d through the healthy tunnel beside stuck agents: %d %q", i, st, body)
		}
	}

	start := time.Now()
	if st := apiCall(t, s, operator, "DELETE", "/v1/keys/"+revokedID, nil, nil); st != http.StatusNoContent && st != http.StatusOK {
		t.Fatalf("revoking the stuck agent's key: %d", st)
	}
	select {
	case <-revoked.Mux.CloseChan():
		t.Logf("revoked key's stuck session closed %v after the revocation answered", time.Since(start))
	case <-time.After(time.Second):
		t.Fatal("a revoked key's stuck session was still open 1 s after the revocation")
	}

	if kept.Mux.IsClosed() {
		t.Fatal("the other stuck agent was cut off before the shutdown it is meant to test")
	}
	if err := s.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.Exited():
		if err != nil {
			t.Errorf("serve exited with %v; stderr:\n%s", err, s.Stderr.String())
		}
	case <-time.After(2*time.Second + 5*time.Second):
		t.Fatalf("serve still running 7 s after SIGTERM with a 2 s shutdown grace and a stuck agent")
	}
}

// rssBytes is a process's resident set size, from /proc.
func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

// peakRSS samples pid's RSS every 50 ms for d and returns the largest.
func peakRSS(t *testing.T, pid int, d time.Duration) int64 {
	t.Helper()
	var peak int64
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		peak = max(peak, rssBytes(t, pid))
	}
	return peak
}

const rssBudget = 256 << 20

// TestVisitorsThatNeverReadKeepServeRSSBounded: 60 public connections ask
// for a large download through a tunnel and never read a byte of it. Each
// stream could buffer its whole window on the server; what they make serve
// hold must stay well bounded (the adversarial run reached 2.85 GB).
func TestVisitorsThatNeverReadKeepServeRSSBounded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads RSS from /proc")
	}
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		for range 16 << 10 { // 1 GiB, if anyone read it
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer local.Close()
	s := warrentest.StartServer(t, t.TempDir())
	operator := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	agent := warrentest.StartAgent(t, s, operator, "http", strings.TrimPrefix(local.URL, "http://"), "--subdomain", "bulk")
	agent.Wait(t, "Forwarding")
	_, port, _ := net.SplitHostPort(s.Addr)
	if st, _ := warrentest.PublicGet(t, s, "bulk.localhost:"+port, "/ready"); st != 200 {
		// A full read proves the route; it is the one visitor that reads.
		t.Fatalf("tunnel not serving: %d", st)
	}
	before := rssBytes(t, s.Cmd.Process.Pid)

	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 60 {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		// A tiny receive buffer, so the kernel holds little on our side.
		_ = c.(*net.TCPConn).SetReadBuffer(4096)
		io.WriteString(c, "GET /big HTTP/1.1\r\nHost: bulk.localhost:"+port+"\r\n\r\n")
		conns = append(conns, c)
	}
	peak := peakRSS(t, s.Cmd.Process.Pid, 4*time.Second)
	t.Logf("serve RSS %d MiB before, peak %d MiB with 60 stalled downloads", before>>20, peak>>20)
	if peak-before > rssBudget {
		t.Fatalf("60 visitors that never read grew serve by %d MiB (budget %d MiB)", (peak-before)>>20, rssBudget>>20)
	}
}

// TestAgentOpeningStreamsKeepsServeRSSBounded: an agent opens 1,000
// streams the server never asked for and writes 256 KiB into each. The
// server must refuse them rather than buffer them (the adversarial run
// reached 5 GB with 8 such agents).
func TestAgentOpeningStreamsKeepsServeRSSBounded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads RSS from /proc")
	}
	s := warrentest.StartServer(t, t.TempDir())
	operator := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	a := warrentest.DialRawAgent(t, s.Addr, operator)
	a.Send(t, wire.Msg{Type: wire.TypeHeartbeat})
	a.ReadUntil(t, wire.TypeHeartbeat)
	before := rssBytes(t, s.Cmd.Process.Pid)

	payload := bytes.Repeat([]byte{'x'}, 256<<10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 {
			st, err := a.Mux.OpenStream()
			if err != nil {
				return // the server may end a session that does this
			}
			_ = st.SetWriteDeadline(time.Now().Add(2 * time.Second))
			_, _ = st.Write(payload)
			st.Close()
		}
	}()
	var peak int64
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); {
		select {
		case <-done:
			end = time.Now()
		case <-time.After(50 * time.Millisecond):
		}
		peak = max(peak, rssBytes(t, s.Cmd.Process.Pid))
	}
	a.Close()
	<-done
	t.Logf("serve RSS %d MiB before, peak %d MiB while an agent opened 1,000 streams of 256 KiB", before>>20, peak>>20)
	if peak-before > rssBudget {
		t.Fatalf("an agent's unasked streams grew serve by %d MiB (budget %d MiB)", (peak-before)>>20, rssBudget>>20)
	}
}
