package warrentest

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Agent is a `warren http|tcp|start` child process.
type Agent struct {
	Cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	exit chan error
}

// StartAgent starts `warren ARGS…` against s with key, its stdout and
// stderr read into Output.
func StartAgent(t testing.TB, s *Server, key string, args ...string) *Agent {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = ChildEnv("WARREN_SERVER="+s.URL, "WARREN_API_KEY="+key, "HOME="+t.TempDir())
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &Agent{Cmd: cmd, exit: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			a.mu.Lock()
			a.out.WriteString(sc.Text() + "\n")
			a.mu.Unlock()
		}
		a.exit <- cmd.Wait()
	}()
	// Kill whether or not it already exited (ErrProcessDone then): reading
	// cmd.ProcessState here would race with the Wait above.
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return a
}

// Exited delivers the child's exit (once).
func (a *Agent) Exited() <-chan error { return a.exit }

// Output returns what the agent printed so far.
func (a *Agent) Output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.out.String()
}

// Wait waits until the agent's output holds substr (15 s at most).
func (a *Agent) Wait(t testing.TB, substr string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out := a.Output()
		if strings.Contains(out, substr) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent output never held %q; it is:\n%s", substr, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PublicGet requests path on host through the server's listener.
func PublicGet(t testing.TB, s *Server, host, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.Addr+path, nil)
	req.Host = host
	// No compression: the request carries only the headers set here (net/http
	// would add Accept-Encoding), so a replay can be compared with it.
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
