package warrentest

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a `warren serve` child process.
type Server struct {
	Cmd  *exec.Cmd
	Addr string // from "listening on ADDR"
	URL  string // from "Warren is running at URL"
	mu   sync.Mutex
	out  bytes.Buffer
	// Lines carries stdout line by line (dropped when nobody takes them).
	Lines chan string
	exit  chan error
	// Stderr is the child's, for failure messages.
	Stderr *LockedBuffer
}

// StartServer starts `warren serve` on 127.0.0.1:0 over data and waits for
// its address and URL lines.
func StartServer(t testing.TB, data string) *Server {
	t.Helper()
	return StartServerAt(t, data, "127.0.0.1:0")
}

// StartServerAt is StartServer on a given address (a restart on the same one).
func StartServerAt(t testing.TB, data, addr string, env ...string) *Server {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr, "--domain", "localhost")
	cmd.Env = ChildEnv(env...)
	stderr := new(LockedBuffer)
	cmd.Stderr = stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{Cmd: cmd, Lines: make(chan string, 100), exit: make(chan error, 1), Stderr: stderr}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			select {
			case s.Lines <- sc.Text():
			default:
			}
		}
		close(s.Lines)
		s.exit <- cmd.Wait()
	}()
	// Kill whether or not it already exited (ErrProcessDone then): reading
	// cmd.ProcessState here would race with the Wait above.
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	deadline := time.After(10 * time.Second)
	for s.URL == "" {
		select {
		case line, ok := <-s.Lines:
			if !ok {
				t.Fatalf("serve exited before it was ready; stderr: %s", stderr.String())
			}
			if a, ok := strings.CutPrefix(line, "listening on "); ok {
				s.Addr = a
			}
			if u, ok := strings.CutPrefix(line, "Warren is running at "); ok {
				s.URL = u
			}
		case <-deadline:
			t.Fatalf("serve not ready within 10 s; stderr: %s", stderr.String())
		}
	}
	return s
}

// Exited delivers the child's exit (once).
func (s *Server) Exited() <-chan error { return s.exit }

// Stop sends SIGTERM and requires a clean exit within 10 s; it returns all
// of stdout.
func (s *Server) Stop(t testing.TB) string {
	t.Helper()
	if err := s.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exit:
		if err != nil {
			t.Errorf("serve exited with %v; stderr:\n%s", err, s.Stderr.String())
		}
	case <-time.After(10 * time.Second):
		s.Cmd.Process.Kill()
		t.Fatal("serve did not stop within 10 s of SIGTERM")
	}
	return s.Output()
}

// Output returns stdout so far.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// WaitOutput waits until stdout holds substr (10 s at most).
func (s *Server) WaitOutput(t testing.TB, substr string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := s.Output()
		if strings.Contains(out, substr) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve stdout never held %q; it is:\n%s", substr, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// GetHealthz returns the status and body of GET /healthz.
func GetHealthz(t testing.TB, addr string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// SeedAccounts creates n accounts (two events each) in data, offline.
func SeedAccounts(t testing.TB, data string, n int) {
	t.Helper()
	for i := range n {
		MustRun(t, "admin", "account", "create", "--data", data, "--init", "--email", "user"+string(rune('a'+i))+"@example.com")
	}
}
