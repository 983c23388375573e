package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
	"warren/edge/agent"
)

// `warren http https://127.0.0.1:PORT` forwards to a TLS local service:
// its certificate is checked (a self-signed one is a 502 that names
// --upstream-insecure), --upstream-insecure accepts it, and --host-header
// keeps the public host (default), sends the service's own host:port
// (rewrite) or a given VALUE.
func TestHTTPForwardsToATLSLocalService(t *testing.T) {
	origin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "tls=%v host=%s uri=%s xff=%s body=%s", r.TLS != nil, r.Host, r.URL.RequestURI(), r.Header.Get("X-Forwarded-For"), b)
	}))
	defer origin.Close()
	local := "https://" + origin.Listener.Addr().String()

	s := warrentest.StartServer(t, t.TempDir())
	defer s.Stop(t)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	_, srvPort, _ := net.SplitHostPort(s.Addr)
	post := func(sub string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+s.Addr+"/p/a?q=1", strings.NewReader("hi"))
		req.Host = sub + ".localhost:" + srvPort
		res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	t.Run("ErrSelfSignedWithoutTheFlag", func(t *testing.T) {
		a := warrentest.StartAgent(t, s, key, "http", local, "--subdomain", "tls-strict")
		a.Wait(t, "Forwarding http://tls-strict.localhost:"+srvPort+" -> "+local)
		code, body := post("tls-strict")
		if code != http.StatusBadGateway || !strings.Contains(body, "--upstream-insecure") {
			t.Errorf("self-signed without --upstream-insecure: %d %q, want 502 naming the flag", code, body)
		}
		a.Wait(t, "run with --upstream-insecure")
	})
	for _, c := range []struct {
		name, sub string
		args      []string
		host      string
	}{
		{"PublicHostKept", "tls-keep", nil, "tls-keep.localhost:" + srvPort},
		{"HostRewritten", "tls-rewrite", []string{"--host-header", "rewrite"}, origin.Listener.Addr().String()},
		{"HostGiven", "tls-given", []string{"--host-header", "app.test"}, "app.test"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := warrentest.StartAgent(t, s, key, append([]string{"http", local, "--subdomain", c.sub, "--upstream-insecure"}, c.args...)...)
			a.Wait(t, "Forwarding http://"+c.sub+".localhost:"+srvPort+" -> "+local)
			code, body := post(c.sub)
			want := "tls=true host=" + c.host + " uri=/p/a?q=1 xff=127.0.0.1 body=hi"
			if code != 200 || body != want {
				t.Errorf("%d %q, want 200 %q", code, body, want)
			}
			a.Wait(t, "POST   /p/a?q=1 200")
		})
	}
	t.Run("StartConfig", func(t *testing.T) {
		// `warren start`'s file says the same with upstream_insecure and host_header.
		cfg := filepath.Join(t.TempDir(), "tunnels.yaml")
		os.WriteFile(cfg, []byte("tunnels:\n  - local: "+local+"\n    subdomain: tls-start\n    upstream_insecure: true\n    host_header: rewrite\n"), 0o600)
		a := warrentest.StartAgent(t, s, key, "start", "--config", cfg)
		a.Wait(t, "Forwarding http://tls-start.localhost:"+srvPort+" -> "+local)
		code, body := post("tls-start")
		if want := "tls=true host=" + origin.Listener.Addr().String() + " uri=/p/a?q=1 xff=127.0.0.1 body=hi"; code != 200 || body != want {
			t.Errorf("%d %q, want 200 %q", code, body, want)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		env := []string{"WARREN_SERVER=" + s.URL, "WARREN_API_KEY=" + key, "HOME=" + t.TempDir()}
		warrentest.CLIFails(t, env, "not ftp://", "http", "ftp://127.0.0.1:21")
		warrentest.CLIFails(t, env, "--upstream-insecure is for an https://", "http", "3000", "--upstream-insecure")
	})
}

// The Forwarding lines name every address the tunnel answers on: its
// URL, and a --hostname custom domain on the same scheme and port.
func TestForwardingListsEveryHostname(t *testing.T) {
	for _, c := range []struct {
		t    agent.Tunnel
		want string
	}{
		{agent.Tunnel{URL: "http://app.localhost:8080"}, "http://app.localhost:8080"},
		{agent.Tunnel{Spec: agent.Spec{Hostname: "hooks.example.com"}, URL: "http://app.localhost:8080"}, "http://app.localhost:8080 http://hooks.example.com:8080"},
		{agent.Tunnel{Spec: agent.Spec{Hostname: "hooks.example.com"}, URL: "https://app.warren.dev"}, "https://app.warren.dev https://hooks.example.com"},
	} {
		if got := strings.Join(publicURLs(c.t), " "); got != c.want {
			t.Errorf("publicURLs(%+v) = %q, want %q", c.t, got, c.want)
		}
	}
}

// In-process, under -race and goleak: streams dialled while the proxy
// serves get answers, a report is made once per reason, and close ends
// every goroutine the proxy started.
func TestUpstreamServesPipesAndCloses(t *testing.T) {
	origin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Host)
	}))
	defer origin.Close()
	up, err := newUpstream("https://"+origin.Listener.Addr().String(), true, "rewrite")
	if err != nil || up == nil {
		t.Fatalf("newUpstream: %v, %v", up, err)
	}
	defer up.close()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return up.dial() }}, Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.Get("http://public.example/")
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if string(b) != origin.Listener.Addr().String() {
				t.Errorf("host seen %q", b)
			}
		}()
	}
	wg.Wait()

	var said []string
	up.setReport(func(s string) { said = append(said, s) })
	origin.Close()
	for range 2 {
		if res, err := c.Get("http://public.example/"); err != nil || res.StatusCode != http.StatusBadGateway {
			t.Fatalf("origin gone: %v %v, want 502", res, err)
		} else {
			res.Body.Close()
		}
	}
	up.setReport(nil)
	if len(said) != 1 {
		t.Errorf("reported %q: want the reason once", said)
	}
	if p, err := newUpstream("3000", false, ""); p != nil || err != nil {
		t.Errorf("a plain port needs no proxy: %v %v", p, err)
	}
}

// The tunnels file takes upstream_insecure and host_header per tunnel, in
// JSON and in the YAML form alike.
func TestTunnelsFileUpstreamKeys(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"t.yaml": "tunnels:\n  - local: https://127.0.0.1:8443\n    upstream_insecure: true\n    host_header: rewrite\n  - local: 3000\n",
		"t.json": `{"tunnels":[{"local":"https://127.0.0.1:8443","upstream_insecure":true,"host_header":"rewrite"},{"local":"3000"}]}`,
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		af, err := loadAgentFile(p)
		if err != nil || len(af.Upstreams) != 2 || af.Upstreams[0] != (upstreamOpts{true, "rewrite"}) || af.Upstreams[1] != (upstreamOpts{}) {
			t.Errorf("%s: %+v %v", name, af, err)
		}
	}
}
