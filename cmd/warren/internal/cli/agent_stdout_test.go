package cli

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

// TestAgentWithBlockedStdoutStopsOnSIGTERM is `warren http PORT | sleep
// 600`: the agent's stdout is a pipe nobody reads, so once its buffer is
// full every write blocks. Request lines keep coming; SIGTERM must still
// stop the agent within a few seconds (printing never holds up the
// signal handling or the shutdown).
func TestAgentWithBlockedStdoutStopsOnSIGTERM(t *testing.T) {
	s := warrentest.StartServer(t, t.TempDir())
	defer s.Stop(t)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})}
	go origin.Serve(ln)
	defer origin.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_, srvPort, _ := net.SplitHostPort(s.Addr)
	host := "blocked-out.localhost:" + srvPort

	// Stdout: a pipe whose read end is held open and never read.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	var stderr warrentest.LockedBuffer
	cmd := exec.Command(warrentest.Bin(), "http", port, "--subdomain", "blocked-out")
	cmd.Env = warrentest.ChildEnv("WARREN_SERVER="+s.URL, "WARREN_API_KEY="+key, "HOME="+t.TempDir())
	cmd.Stdout, cmd.Stderr = pw, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close() // the child holds its own copy
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Error("the agent outlived SIGKILL")
		}
	}()

	// Wait for the tunnel, then send requests with long paths until the
	// request lines are far more than the pipe holds (64 KiB on Linux).
	c := &http.Client{Timeout: 10 * time.Second}
	get := func(path string) int {
		req, _ := http.NewRequest("GET", "http://"+s.Addr+path, nil)
		req.Host = host
		res, err := c.Do(req)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	for deadline := time.Now().Add(15 * time.Second); get("/ready") != http.StatusOK; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the tunnel never came up; agent stderr: %s", stderr.String())
		}
	}
	long := "/" + strings.Repeat("x", 1000)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				get(long + "?w=" + string(rune('a'+w)) + "&i=" + string(rune('a'+i%26)))
			}
		}()
	}
	wg.Wait()
	// Give the request lines time to reach the agent and fill the pipe.
	time.Sleep(500 * time.Millisecond)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatalf("the agent did not exit within 5 s of SIGTERM with its stdout blocked; stderr: %s", stderr.String())
	}
	if !bytes.Contains([]byte(stderr.String()), []byte("dropped")) {
		t.Errorf("the agent did not say it dropped lines; stderr: %s", stderr.String())
	}
}
