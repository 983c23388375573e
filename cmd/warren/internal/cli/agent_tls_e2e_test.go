package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/warrentest"
)

// TestAgentOverTLS runs the real binary against a real server behind an
// HTTPS front whose certificate comes from a private CA made in the test.
func TestAgentOverTLS(t *testing.T) {
	ca := newTestCA(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, frontPort, _ := net.SplitHostPort(ln.Addr().String())
	data := t.TempDir()
	s := warrentest.StartServerAt(t, data, "127.0.0.1:0", "WARREN_SCHEME=https", "WARREN_PUBLIC_PORT="+frontPort)
	running, outer := s, t // a subtest restarts it, for the rest of the test
	defer func() { running.Stop(t) }()
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	tlsFront(t, ln, ca.leaf(t), "http://"+s.Addr)
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("server URL %q: want https", s.URL)
	}
	origin := startOrigin(t, "hello over tls")
	_, port, _ := net.SplitHostPort(origin)
	host := "e2e-tls.localhost:" + frontPort

	t.Run("TrustsPrivateCAWithFlag", func(t *testing.T) {
		a := warrentest.StartAgent(t, s, key, "http", port, "--subdomain", "e2e-tls", "--ca", ca.File)
		// The URL the server returned, https because the server says so.
		a.Wait(t, "Forwarding https://"+host+" -> 127.0.0.1:"+port)
		code, body := httpsGet(t, ln.Addr().String(), host, "/over-tls", ca.Pool)
		if code != 200 || body != "hello over tls" {
			t.Fatalf("GET through the tunnel over TLS = %d %q", code, body)
		}
		a.Wait(t, "GET    /over-tls 200")

		t.Run("APICommandWithEnvCA", func(t *testing.T) {
			env := []string{"WARREN_SERVER=" + s.URL, "WARREN_API_KEY=" + key, "HOME=" + t.TempDir(), "WARREN_CA=" + ca.File}
			out := warrentest.CLIOK(t, env, "tunnels")
			if !strings.Contains(out, "https://"+host) {
				t.Fatalf("warren tunnels over TLS: want the server's https URL, got:\n%s", out)
			}
		})
		t.Run("LoginSavesCA", func(t *testing.T) {
			env := warrentest.CLIEnv(t)
			warrentest.CLIOK(t, env, "login", "--server", s.URL, "--key", key, "--ca", ca.File)
			// The saved config carries the CA: no flag, no env from now on.
			out := warrentest.CLIOK(t, env, "tunnels")
			if !strings.Contains(out, "https://"+host) {
				t.Fatalf("warren tunnels after login --ca:\n%s", out)
			}
		})
		t.Run("ReconnectsOverTLS", func(t *testing.T) {
			// The server restarts behind the front: the agent comes back
			// through TLS with the same CA and reopens its tunnel.
			running.Stop(t)
			running = warrentest.StartServerAt(outer, data, s.Addr, "WARREN_SCHEME=https", "WARREN_PUBLIC_PORT="+frontPort)
			a.Wait(t, "Forwarding https://"+host+" -> 127.0.0.1:"+port+" (reopened)")
			if code, body := httpsGet(t, ln.Addr().String(), host, "/again", ca.Pool); code != 200 || body != "hello over tls" {
				t.Fatalf("GET after the reconnect = %d %q", code, body)
			}
		})
	})
	t.Run("StartWithCAInConfigFile", func(t *testing.T) {
		// A relative ca is the config file's neighbour, wherever start runs.
		dir := t.TempDir()
		ca, _ := os.ReadFile(ca.File)
		os.WriteFile(filepath.Join(dir, "private-ca.pem"), ca, 0o600)
		cfg := filepath.Join(dir, "tunnels.yml")
		os.WriteFile(cfg, []byte("ca: private-ca.pem\ntunnels:\n  - proto: http\n    local: "+port+"\n    subdomain: e2e-start\n"), 0o600)
		a := warrentest.StartAgent(t, s, key, "start", "--config", cfg)
		a.Wait(t, "Forwarding https://e2e-start.localhost:"+frontPort+" -> 127.0.0.1:"+port)
	})
	t.Run("ErrUntrustedCertificateNamesCA", func(t *testing.T) {
		env := []string{"WARREN_SERVER=" + s.URL, "WARREN_API_KEY=" + key, "HOME=" + t.TempDir()}
		for _, args := range [][]string{{"http", port}, {"tunnels"}} {
			r := warrentest.Run(t, env, args...)
			if r.Code == 0 || !strings.Contains(r.Stderr, "--ca") || !strings.Contains(r.Stderr, "not trusted") {
				t.Errorf("warren %s against an untrusted certificate: exit %d, stderr %q; want a refusal naming --ca",
					strings.Join(args, " "), r.Code, r.Stderr)
			}
		}
	})
	t.Run("ErrBadCAFile", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "not-a-ca.pem")
		os.WriteFile(bad, []byte("hello\n"), 0o600)
		env := []string{"WARREN_SERVER=" + s.URL, "WARREN_API_KEY=" + key, "HOME=" + t.TempDir()}
		for _, ca := range []string{bad, filepath.Join(t.TempDir(), "missing.pem")} {
			r := warrentest.Run(t, env, "http", port, "--ca", ca)
			if r.Code != 2 || !strings.Contains(r.Stderr, ca) {
				t.Errorf("--ca %s: exit %d, stderr %q; want exit 2 naming the file", ca, r.Code, r.Stderr)
			}
		}
	})
}

// startOrigin serves body on 127.0.0.1 until the test ends.
func startOrigin(t *testing.T, body string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(body))
	})}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return ln.Addr().String()
}

// remoteHTTP is a plain-http server that is not loopback (TEST-NET-1,
// RFC 5737: nothing answers there, so a dial would hang until its timeout).
const remoteHTTP = "http://192.0.2.1:1"

func TestKeyIsNotSentInClearToRemoteHost(t *testing.T) {
	dir := t.TempDir()
	tunnels := filepath.Join(dir, "tunnels.yml")
	os.WriteFile(tunnels, []byte("tunnels:\n  - proto: http\n    local: 3000\n"), 0o600)
	env := []string{"WARREN_SERVER=" + remoteHTTP, "WARREN_API_KEY=ak_test", "HOME=" + dir}
	for _, args := range [][]string{
		{"http", "3000"}, {"tcp", "5432"}, {"start", "--config", tunnels},
		{"tunnels"}, {"keys"}, {"requests"}, {"reservations"}, {"domains"}, {"usage"},
		{"events", "list"}, {"replay", "req_01"}, {"login", "--server", remoteHTTP, "--key", "ak_test"},
		// The operator's online commands (internal/offline) follow the same rule.
		{"backup", "--server", remoteHTTP, "--out", filepath.Join(dir, "b.db")},
		{"admin", "account", "create", "--server", remoteHTTP, "--email", "x@example.com"},
	} {
		start := time.Now()
		r := warrentest.Run(t, env, args...)
		// "At once": well before the agent's 10 s dial timeout.
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("warren %s took %v: it dialled", strings.Join(args, " "), took)
		}
		if r.Code != 2 || !strings.Contains(r.Stderr, "in clear") || !strings.Contains(r.Stderr, "--insecure") || !strings.Contains(r.Stderr, "https://") {
			t.Errorf("warren %s to %s: exit %d, stderr %q; want exit 2 saying the key would cross in clear, and how to fix it",
				strings.Join(args, " "), remoteHTTP, r.Code, r.Stderr)
		}
	}
}

// TestInsecureLetsKeyCrossInClear: with --insecure (or WARREN_INSECURE)
// the command goes on and dials; the dial fails, and that is all.
func TestInsecureLetsKeyCrossInClear(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		run  command.Func
		args []string
	}{
		{"HTTPFlag", nil, RunHTTP, []string{"3000", "--insecure"}},
		{"HTTPEnv", map[string]string{"WARREN_INSECURE": "true"}, RunHTTP, []string{"3000"}},
		{"TunnelsFlag", nil, RunTunnels, []string{"--insecure"}},
		{"KeysEnv", map[string]string{"WARREN_INSECURE": "true"}, RunKeys, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"WARREN_SERVER": remoteHTTP, "WARREN_API_KEY": "ak_test", "HOME": t.TempDir()}
			for k, v := range c.env {
				env[k] = v
			}
			var out, errb bytes.Buffer
			e := &command.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
			// Nothing answers at TEST-NET: the dial ends with the context.
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			err := c.run(ctx, e, c.args)
			if err == nil {
				t.Fatal("want the dial to fail")
			}
			if strings.Contains(err.Error(), "in clear") || exitCode(err) == 2 {
				t.Fatalf("refused despite --insecure: %v", err)
			}
		})
	}
}

func exitCode(err error) int {
	var ee *command.ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}

func TestWarrenInsecureIsABool(t *testing.T) {
	env := map[string]string{"WARREN_SERVER": remoteHTTP, "WARREN_API_KEY": "ak_test", "HOME": t.TempDir(), "WARREN_INSECURE": "yes please"}
	var out, errb bytes.Buffer
	e := &command.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	err := RunTunnels(context.Background(), e, nil)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "WARREN_INSECURE") {
		t.Fatalf("WARREN_INSECURE=%q: %v; want exit 2 naming it", env["WARREN_INSECURE"], err)
	}
}

// TestNextPageStaysOnTheServer: a next_page_uri naming another host or
// scheme (a proxy in front that rewrote nothing, a hostile answer) is
// followed on the server the key was given for, never sent elsewhere.
func TestNextPageStaysOnTheServer(t *testing.T) {
	var pages []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pages = append(pages, r.URL.RequestURI())
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("before_id") == "" {
			w.Write([]byte(`{"events":[{"id":"01A","type":"key.created","at":"2026-01-01T00:00:00Z","data":{}}],` +
				`"next_page_uri":"` + remoteHTTP + `/api/v1/me/events?before_id=01A&limit=50"}`))
			return
		}
		w.Write([]byte(`{"events":[],"next_page_uri":null}`))
	}))
	defer srv.Close()
	env := map[string]string{"WARREN_SERVER": srv.URL, "WARREN_API_KEY": "ak_test", "HOME": t.TempDir()}
	var out, errb bytes.Buffer
	e := &command.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	if err := RunEventsList(context.Background(), e, nil); err != nil {
		t.Fatalf("events list: %v", err)
	}
	if len(pages) != 2 || !strings.Contains(pages[1], "before_id=01A") {
		t.Fatalf("pages asked of the server: %q; want the second page from it too", pages)
	}
}

func TestRedirectNeverCarriesKeyInClear(t *testing.T) {
	c := conn{cliConfig: cliConfig{Server: "https://warren.example.com", Key: "ak_x"}}
	from, _ := http.NewRequest("GET", "https://warren.example.com/v1/keys", nil)
	for target, ok := range map[string]bool{
		"http://warren.example.com/v1/keys": false, "https://warren.example.com/v2/keys": true, "http://localhost:8080/v1/keys": true,
	} {
		to, _ := http.NewRequest("GET", target, nil)
		if err := c.httpClient(0).CheckRedirect(to, []*http.Request{from}); (err == nil) != ok {
			t.Errorf("redirect to %s: %v, want allowed=%v", target, err, ok)
		}
	}
}

// TestSavedInsecureStaysWithItsServer: `login --insecure` accepted the risk
// for one server; WARREN_SERVER naming another does not inherit it.
func TestSavedInsecureStaysWithItsServer(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "config"), "WARREN_API_KEY": "ak_test"}
	e := &command.Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(k string) string { return env[k] }}
	if _, err := saveConfig(e, cliConfig{Server: "http://10.0.0.5:8080", Key: "ak_test", Insecure: true}); err != nil {
		t.Fatal(err)
	}
	env["WARREN_SERVER"] = remoteHTTP
	err := RunTunnels(context.Background(), e, nil)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "in clear") {
		t.Fatalf("WARREN_SERVER=%s with a saved --insecure for another server: %v; want the refusal", remoteHTTP, err)
	}
	// The operator's --server commands too.
	r := warrentest.Run(t, []string{"HOME=" + home, "XDG_CONFIG_HOME=" + env["XDG_CONFIG_HOME"]},
		"backup", "--server", remoteHTTP, "--out", filepath.Join(home, "b.db"))
	if r.Code != 2 || !strings.Contains(r.Stderr, "in clear") {
		t.Fatalf("backup --server %s with a saved --insecure for another server: exit %d %q; want the refusal", remoteHTTP, r.Code, r.Stderr)
	}
}
