package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// agentProc is a `warren http|tcp|start` child process.
type agentProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	exit chan error
}

func startAgent(t testing.TB, s *server, key string, args ...string) *agentProc {
	t.Helper()
	cmd := exec.Command(warrenBin, args...)
	cmd.Env = childEnv("WARREN_SERVER="+s.url, "WARREN_API_KEY="+key, "HOME="+t.TempDir())
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &agentProc{cmd: cmd, exit: make(chan error, 1)}
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

func (a *agentProc) wait(t testing.TB, substr string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		a.mu.Lock()
		out := a.out.String()
		a.mu.Unlock()
		if strings.Contains(out, substr) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent output never held %q; it is:\n%s", substr, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// publicGet requests path on host through the server's listener.
func publicGet(t *testing.T, s *server, host, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.addr+path, nil)
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

func TestAgentCommands_HTTP(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.stop(t)
	key := keyRe.FindString(s.waitOutput(t, "ak_"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	var lastEncoding atomic.Value // Accept-Encoding of the last request
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		lastEncoding.Store(r.Header.Get("Accept-Encoding"))
		if r.URL.Path == "/slow" {
			time.Sleep(800 * time.Millisecond)
		}
		w.Header().Set("X-Saw-Path", r.URL.RequestURI())
		io.WriteString(w, "hello from origin")
	})}
	go origin.Serve(ln)
	defer origin.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_, srvPort, _ := net.SplitHostPort(s.addr)
	host := "e2e-app.localhost:" + srvPort

	a := startAgent(t, s, key, "http", port, "--subdomain", "e2e-app")
	t.Run("PrintsURLAndRequests", func(t *testing.T) {
		a.wait(t, "Forwarding http://"+host+" -> 127.0.0.1:"+port)
		code, body := publicGet(t, s, host, "/hello?x=1")
		if code != 200 || body != "hello from origin" {
			t.Fatalf("GET = %d %q", code, body)
		}
		a.wait(t, "GET    /hello?x=1 200")
	})
	t.Run("ReplayToAndThroughTunnel", func(t *testing.T) {
		out := a.wait(t, "req_")
		id := reqIDRe.FindString(out)
		env := []string{"WARREN_SERVER=" + s.url, "WARREN_API_KEY=" + key, "HOME=" + t.TempDir()}
		before := hits.Load()
		r := runWarren(t, env, "replay", id, "--to", "http://"+ln.Addr().String())
		if r.code != 0 || !strings.Contains(r.stdout, "/hello?x=1 200") || hits.Load() != before+1 {
			t.Fatalf("replay --to: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if ae := lastEncoding.Load(); ae != "" {
			t.Fatalf("replay --to added Accept-Encoding %q to the captured headers", ae)
		}
		r = runWarren(t, env, "replay", id)
		if r.code != 0 || !strings.Contains(r.stdout, "/hello?x=1 200") || hits.Load() != before+2 {
			t.Fatalf("replay: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		t.Run("FilteredSetInOrder", func(t *testing.T) {
			publicGet(t, s, host, "/second")
			// /slow arrives before /fast and ends after it: captured
			// second, it is still replayed first.
			slow := make(chan struct{})
			go func() { defer close(slow); publicGet(t, s, host, "/slow") }()
			time.Sleep(200 * time.Millisecond)
			publicGet(t, s, host, "/fast")
			<-slow
			a.wait(t, "/slow 200") // printed once its capture is appended
			before := hits.Load()
			r := runWarren(t, env, "replay", "--tunnel", "e2e-app", "--status", "2xx", "--since", "1h")
			if r.code != 0 {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			// Four original 200s so far (the replay through the tunnel is not
			// sent again, --to bypasses the edge), in the order they arrived.
			last := -1
			for _, p := range []string{"/hello?x=1", "/second", "/slow", "/fast"} {
				i := strings.Index(r.stdout, p+" ")
				if i <= last {
					t.Fatalf("%s replayed out of order (or not at all):\n%s%s", p, r.stdout, r.stderr)
				}
				last = i
			}
			if hits.Load() != before+4 || !strings.Contains(r.stdout, "replayed 4 requests, 0 failed") {
				t.Fatalf("hits %d→%d\n%s%s", before, hits.Load(), r.stdout, r.stderr)
			}
		})
	})
	t.Run("KilledThen502ThenSameNameBack", func(t *testing.T) {
		a.cmd.Process.Kill()
		<-a.exit
		deadline := time.Now().Add(10 * time.Second)
		for {
			code, _ := publicGet(t, s, host, "/after-kill")
			if code == 502 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still %d after the agent was killed", code)
			}
			time.Sleep(50 * time.Millisecond)
		}
		b := startAgent(t, s, key, "http", port, "--subdomain", "e2e-app")
		b.wait(t, "Forwarding http://"+host)
		if code, body := publicGet(t, s, host, "/"); code != 200 || body != "hello from origin" {
			t.Fatalf("after restart: %d %q", code, body)
		}
		t.Run("CtrlCClosesCleanly", func(t *testing.T) {
			b.cmd.Process.Signal(syscall.SIGINT)
			select {
			case err := <-b.exit:
				if err != nil {
					t.Fatalf("exit: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("agent did not exit on SIGINT")
			}
			b.wait(t, "Tunnel closed.")
			if code, _ := publicGet(t, s, host, "/"); code != 404 {
				t.Fatalf("after Ctrl-C: %d, want 404", code)
			}
		})
	})
}

var reqIDRe = regexp.MustCompile(`req_[0-9A-Z]{26}`)

func TestAgentCommands_TCP(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.stop(t)
	key := keyRe.FindString(s.waitOutput(t, "ak_"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	a := startAgent(t, s, key, "tcp", port)
	out := a.wait(t, "Forwarding tcp://")
	m := regexp.MustCompile(`tcp://[^:]+:(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no tcp URL in %q", out)
	}
	c, err := net.Dial("tcp", "127.0.0.1:"+m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "ping over tcp")
	buf := make([]byte, 13)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping over tcp" {
		t.Fatalf("echo %q %v", buf, err)
	}
	c.Close()
	a.wait(t, "TCP  tcp-"+m[1])
}

func TestAgentCommands_DeleteClosesAtAgent(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.stop(t)
	key := keyRe.FindString(s.waitOutput(t, "ak_"))
	a := startAgent(t, s, key, "http", "9", "--subdomain", "del-me")
	a.wait(t, "Forwarding http://del-me.")
	req, _ := http.NewRequest("DELETE", "http://"+s.addr+"/api/v1/me/tunnels/del-me", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("DELETE = %d", res.StatusCode)
	}
	a.wait(t, "closed by the server (released)")
	select {
	case err := <-a.exit:
		if err == nil {
			t.Fatal("agent exited 0 after its only tunnel was deleted")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("agent still running after its only tunnel was deleted")
	}
	a.wait(t, "the server closed the tunnel (released)")
}

func TestAgentCommands_Start(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.stop(t)
	key := keyRe.FindString(s.waitOutput(t, "ak_"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "via "+r.Host) })}
	go origin.Serve(ln)
	defer origin.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_, srvPort, _ := net.SplitHostPort(s.addr)
	cfg := filepath.Join(t.TempDir(), "tunnels.yaml")
	os.WriteFile(cfg, []byte("tunnels:\n  - local: "+port+"\n    subdomain: start-one\n  - proto: http\n    local: 127.0.0.1:"+port+"\n    subdomain: start-two\n"), 0o600)
	a := startAgent(t, s, key, "start", "--config", cfg)
	a.wait(t, "Forwarding http://start-one.localhost:"+srvPort)
	a.wait(t, "Forwarding http://start-two.localhost:"+srvPort)
	for _, sub := range []string{"start-one", "start-two"} {
		host := sub + ".localhost:" + srvPort
		if code, body := publicGet(t, s, host, "/"); code != 200 || body != "via "+host {
			t.Fatalf("%s: %d %q", sub, code, body)
		}
	}
}

func TestLoadTunnelsFile(t *testing.T) {
	dir := t.TempDir()
	t.Run("YAML", func(t *testing.T) {
		p := filepath.Join(dir, "t.yaml")
		os.WriteFile(p, []byte("tunnels:\n  - proto: http\n    local: 3000\n    subdomain: hooks # comment\n  - proto: tcp\n    local: \"localhost:5432\"\n"), 0o600)
		specs, err := loadTunnelsFile(p)
		if err != nil || len(specs) != 2 || specs[0].Subdomain != "hooks" || specs[0].Local != "3000" || specs[1].Proto != "tcp" || specs[1].Local != "localhost:5432" {
			t.Fatalf("%+v %v", specs, err)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		p := filepath.Join(dir, "t.json")
		os.WriteFile(p, []byte(`{"tunnels":[{"local":"8080"}]}`), 0o600)
		specs, err := loadTunnelsFile(p)
		if err != nil || len(specs) != 1 || specs[0].Proto != "http" || specs[0].Local != "8080" {
			t.Fatalf("%+v %v", specs, err)
		}
	})
	t.Run("ErrUnknownKey", func(t *testing.T) {
		p := filepath.Join(dir, "bad.yaml")
		os.WriteFile(p, []byte("tunnels:\n  - prot: http\n"), 0o600)
		if _, err := loadTunnelsFile(p); err == nil || !strings.Contains(err.Error(), "unknown key") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestStatusMatcher(t *testing.T) {
	m, _ := statusMatcher("5xx")
	if !m(502) || m(404) {
		t.Fatal("5xx")
	}
	m, _ = statusMatcher("404")
	if !m(404) || m(405) {
		t.Fatal("404")
	}
	if _, err := statusMatcher("6xx"); err == nil {
		t.Fatal("6xx accepted")
	}
}
