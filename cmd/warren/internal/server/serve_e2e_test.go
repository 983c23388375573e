package server

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

// TestServe_TunnelRoundTrip runs the whole product as processes: serve, an
// agent (`warren http`), a public request by Host through the tunnel, the
// capture listed by `warren requests`, and a shutdown that records the
// tunnel as closed, leaving a log that verifies.
func TestServe_TunnelRoundTrip(t *testing.T) {
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s %s", r.Method, r.URL.Path)
	}))
	defer local.Close()

	data := t.TempDir()
	s := warrentest.StartServer(t, data)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "/api/v1/me/plan"))
	client := []string{"HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir(),
		"WARREN_SERVER=" + s.URL, "WARREN_API_KEY=" + key}

	agent := exec.Command(warrentest.Bin(), "http", strings.TrimPrefix(local.URL, "http://"), "--subdomain", "demo")
	agent.Env = warrentest.ChildEnv(client...)
	out, err := agent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	agent.Stderr = io.Discard
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	agentDone := make(chan struct{})
	defer func() {
		agent.Process.Signal(syscall.SIGINT)
		select {
		case <-agentDone:
		case <-time.After(10 * time.Second):
			agent.Process.Kill()
		}
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		agent.Wait()
		close(agentDone)
	}()
	waitLine := func(substr string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("agent exited before printing %q", substr)
				}
				if strings.Contains(l, substr) {
					return
				}
			case <-deadline:
				t.Fatalf("agent did not print %q within 10 s", substr)
			}
		}
	}
	waitLine("Forwarding " + strings.Replace(s.URL, "://", "://demo.", 1))

	t.Run("PublicRequest", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "http://"+s.Addr+"/hello", nil)
		req.Host = "demo.localhost"
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "hello from GET /hello" {
			t.Errorf("through the tunnel: %d %q", resp.StatusCode, body)
		}
	})

	t.Run("CaptureListed", func(t *testing.T) {
		// Capture is appended off the request path: poll briefly.
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := warrentest.Run(t, client, "requests")
			if r.Code == 0 && strings.Contains(r.Stdout, "/hello") && strings.Contains(r.Stdout, "200") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("warren requests never listed the capture: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("ShutdownClosesTunnel", func(t *testing.T) {
		s.Stop(t)
		waitLine("(shutdown)")
		v := warrentest.MustRun(t, "events", "verify", "--data", data)
		if !strings.HasPrefix(v.Stdout, "ok: ") {
			t.Errorf("verify: %s", v.Stdout)
		}
		tail := warrentest.MustRun(t, "events", "tail", "--data", data, "--limit", "0").Stdout
		for _, want := range []string{`"type":"tunnel.opened"`, `"type":"request.captured"`, `"type":"tunnel.closed"`, `"shutdown"`} {
			if !strings.Contains(tail, want) {
				t.Errorf("the log lacks %s:\n%s", want, tail)
			}
		}
	})

	t.Run("RestartReopensTunnel", func(t *testing.T) {
		// A shutdown is a restart or an upgrade: the agent waits for the
		// server and reclaims its name, as after a crash.
		s2 := warrentest.StartServerAt(t, data, s.Addr)
		defer s2.Stop(t)
		waitLine("Forwarding " + strings.Replace(s.URL, "://", "://demo.", 1) + " -> ")
		deadline := time.Now().Add(10 * time.Second)
		for {
			req, _ := http.NewRequest("GET", "http://"+s.Addr+"/again", nil)
			req.Host = "demo.localhost"
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK && string(body) == "hello from GET /again" {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the restart: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
