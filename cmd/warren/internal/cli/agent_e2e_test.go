package cli

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

func TestAgentCommands_HTTP(t *testing.T) {
	s := warrentest.StartServer(t, t.TempDir())
	defer s.Stop(t)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
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
	_, srvPort, _ := net.SplitHostPort(s.Addr)
	host := "e2e-app.localhost:" + srvPort

	a := warrentest.StartAgent(t, s, key, "http", port, "--subdomain", "e2e-app")
	t.Run("PrintsURLAndRequests", func(t *testing.T) {
		a.Wait(t, "Forwarding http://"+host+" -> 127.0.0.1:"+port)
		code, body := warrentest.PublicGet(t, s, host, "/hello?x=1")
		if code != 200 || body != "hello from origin" {
			t.Fatalf("GET = %d %q", code, body)
		}
		a.Wait(t, "GET    /hello?x=1 200")
	})
	t.Run("ReplayToAndThroughTunnel", func(t *testing.T) {
		out := a.Wait(t, "req_")
		id := reqIDRe.FindString(out)
		env := []string{"WARREN_SERVER=" + s.URL, "WARREN_API_KEY=" + key, "HOME=" + t.TempDir()}
		before := hits.Load()
		r := warrentest.Run(t, env, "replay", id, "--to", "http://"+ln.Addr().String())
		if r.Code != 0 || !strings.Contains(r.Stdout, "/hello?x=1 200") || hits.Load() != before+1 {
			t.Fatalf("replay --to: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		if ae := lastEncoding.Load(); ae != "" {
			t.Fatalf("replay --to added Accept-Encoding %q to the captured headers", ae)
		}
		r = warrentest.Run(t, env, "replay", id)
		if r.Code != 0 || !strings.Contains(r.Stdout, "/hello?x=1 200") || hits.Load() != before+2 {
			t.Fatalf("replay: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		t.Run("FilteredSetInOrder", func(t *testing.T) {
			warrentest.PublicGet(t, s, host, "/second")
			// /slow arrives before /fast and ends after it: captured
			// second, it is still replayed first.
			slow := make(chan struct{})
			go func() { defer close(slow); warrentest.PublicGet(t, s, host, "/slow") }()
			time.Sleep(200 * time.Millisecond)
			warrentest.PublicGet(t, s, host, "/fast")
			<-slow
			a.Wait(t, "/slow 200") // printed once its capture is appended
			before := hits.Load()
			r := warrentest.Run(t, env, "replay", "--tunnel", "e2e-app", "--status", "2xx", "--since", "1h")
			if r.Code != 0 {
				t.Fatalf("exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
			}
			// Four original 200s so far (the replay through the tunnel is not
			// sent again, --to bypasses the edge), in the order they arrived.
			last := -1
			for _, p := range []string{"/hello?x=1", "/second", "/slow", "/fast"} {
				i := strings.Index(r.Stdout, p+" ")
				if i <= last {
					t.Fatalf("%s replayed out of order (or not at all):\n%s%s", p, r.Stdout, r.Stderr)
				}
				last = i
			}
			if hits.Load() != before+4 || !strings.Contains(r.Stdout, "replayed 4 requests, 0 failed") {
				t.Fatalf("hits %d→%d\n%s%s", before, hits.Load(), r.Stdout, r.Stderr)
			}
		})
	})
	t.Run("KilledThen503ThenSameNameBack", func(t *testing.T) {
		a.Cmd.Process.Kill()
		<-a.Exited()
		deadline := time.Now().Add(10 * time.Second)
		for {
			// Its agent may come back (domain.ReconnectHold): a retryable 503.
			code, _ := warrentest.PublicGet(t, s, host, "/after-kill")
			if code == 503 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still %d after the agent was killed", code)
			}
			time.Sleep(50 * time.Millisecond)
		}
		b := warrentest.StartAgent(t, s, key, "http", port, "--subdomain", "e2e-app")
		b.Wait(t, "Forwarding http://"+host)
		if code, body := warrentest.PublicGet(t, s, host, "/"); code != 200 || body != "hello from origin" {
			t.Fatalf("after restart: %d %q", code, body)
		}
		t.Run("CtrlCClosesCleanly", func(t *testing.T) {
			b.Cmd.Process.Signal(syscall.SIGINT)
			select {
			case err := <-b.Exited():
				if err != nil {
					t.Fatalf("exit: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("agent did not exit on SIGINT")
			}
			b.Wait(t, "Tunnel closed.")
			if code, _ := warrentest.PublicGet(t, s, host, "/"); code != 404 {
				t.Fatalf("after Ctrl-C: %d, want 404", code)
			}
		})
	})
}

var reqIDRe = regexp.MustCompile(`req_[0-9A-Z]{26}`)

func TestAgentCommands_TCP(t *testing.T) {
	s := warrentest.StartServer(t, t.TempDir())
	defer s.Stop(t)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
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
	a := warrentest.StartAgent(t, s, key, "tcp", port)
	out := a.Wait(t, "Forwarding tcp://")
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
	a.Wait(t, "TCP  tcp-"+m[1])
}

func TestAgentCommands_DeleteClosesAtAgent(t *testing.T) {
	s := warrentest.StartServer(t, t.TempDir())
	defer s.Stop(t)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	a := warrentest.StartAgent(t, s, key, "http", "9", "--subdomain", "del-me")
	a.Wait(t, "Forwarding http://del-me.")
	req, _ := http.NewRequest("DELETE", "http://"+s.Addr+"/api/v1/me/tunnels/del-me", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("DELETE = %d", res.StatusCode)
	}
	a.Wait(t, "closed by the server (released)")
	select {
	case err := <-a.Exited():
		if err == nil {
			t.Fatal("agent exited 0 after its only tunnel was deleted")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("agent still running after its only tunnel was deleted")
	}
	a.Wait(t, "the server closed the tunnel (released)")
}

func TestAgentCommands_Start(t *testing.T) {
	s := warrentest.StartServer(t, t.TempDir())
	defer s.Stop(t)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "via "+r.Host) })}
	go origin.Serve(ln)
	defer origin.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_, srvPort, _ := net.SplitHostPort(s.Addr)
	cfg := filepath.Join(t.TempDir(), "tunnels.yaml")
	os.WriteFile(cfg, []byte("tunnels:\n  - local: "+port+"\n    subdomain: start-one\n  - proto: http\n    local: 127.0.0.1:"+port+"\n    subdomain: start-two\n"), 0o600)
	a := warrentest.StartAgent(t, s, key, "start", "--config", cfg)
	a.Wait(t, "Forwarding http://start-one.localhost:"+srvPort)
	a.Wait(t, "Forwarding http://start-two.localhost:"+srvPort)
	for _, sub := range []string{"start-one", "start-two"} {
		host := sub + ".localhost:" + srvPort
		if code, body := warrentest.PublicGet(t, s, host, "/"); code != 200 || body != "via "+host {
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
