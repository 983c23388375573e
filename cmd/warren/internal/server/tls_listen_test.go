package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
	"warren/edge/wire"
)

// tlsMain is a server.Main with TLS on, started for one test.
type tlsMain struct {
	*Main
	ca     *testCA
	stdout *warrentest.LockedBuffer
	logs   *warrentest.LockedBuffer
	key    string // the operator's API key
}

// mustTLSMain starts Main in files mode on loopback, with a certificate
// for dom and *.dom from a test CA; mod adjusts the Config before Run.
func mustTLSMain(t testing.TB, dom string, mod func(*Config)) *tlsMain {
	t.Helper()
	return startTestMain(t, dom, true, mod)
}

// startTestMain is mustTLSMain, or the same server without TLS (the test
// CA then only serves agents' SSL_CERT_FILE, unused).
func startTestMain(t testing.TB, dom string, withTLS bool, mod func(*Config)) *tlsMain {
	t.Helper()
	ca := mustTestCA(t)
	certFile, keyFile := ca.writePair(t, t.TempDir(), 1, dom, "*."+dom)
	tm := &tlsMain{ca: ca, stdout: new(warrentest.LockedBuffer), logs: new(warrentest.LockedBuffer)}
	cfg := Config{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", Domain: dom, OperatorEmail: "root@" + dom,
		TLS:    TLSSettings{CertFile: certFile, KeyFile: keyFile, HTTPSAddr: "127.0.0.1:0"},
		Stdout: tm.stdout, Logger: slog.New(slog.NewTextHandler(tm.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ShutdownGrace: 5 * time.Second,
	}
	if !withTLS {
		cfg.TLS = TLSSettings{}
	}
	if mod != nil {
		mod(&cfg)
	}
	tm.Main = NewMain(cfg)
	if err := tm.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tm.Close() })
	tm.key = warrentest.KeyRe.FindString(tm.stdout.String())
	return tm
}

// client speaks to the https listener whatever the URL's host, trusting
// the test CA, with HTTP/2 when h2 is set.
func (tm *tlsMain) client(t testing.TB, h2 bool) *http.Client {
	t.Helper()
	addr := tm.Addr()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig:    &tls.Config{RootCAs: tm.ca.pool},
		ForceAttemptHTTP2:  h2,
		DisableCompression: true,
	}
	if !h2 {
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// noRedirects is a plain client that shows redirects instead of following.
func noRedirects() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestHTTPS_PlainListenerRedirects(t *testing.T) {
	tm := mustTLSMain(t, "warren.test", nil)
	httpsPort := portOf(tm.Addr())
	for _, c := range []struct{ name, method, host, uri, want string }{
		{"APIHostPathAndQuery", "GET", "warren.test", "/api/v1/me/plan?a=1&b=%20x", "https://warren.test:" + httpsPort + "/api/v1/me/plan?a=1&b=%20x"},
		{"TunnelHostKeepsMethod", "POST", "demo.warren.test:80", "/hook?x=y", "https://demo.warren.test:" + httpsPort + "/hook?x=y"},
		{"AgentConnect", "GET", "warren.test", wire.ConnectPath, "https://warren.test:" + httpsPort + wire.ConnectPath},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, "http://"+tm.HTTPAddr()+"/", strings.NewReader("body"))
			req.URL.Opaque = c.uri
			req.Host = c.host
			res, err := noRedirects().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != c.want {
				t.Errorf("%s %s = %d Location %q, want 308 %q", c.method, c.uri, res.StatusCode, res.Header.Get("Location"), c.want)
			}
		})
	}
	t.Run("DoubleSlashStaysOnHost", func(t *testing.T) {
		// Sent raw: net/http's client would make "//host/x" an absolute URI.
		c, err := net.DialTimeout("tcp", tm.HTTPAddr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET //evil.example/x HTTP/1.1\r\nHost: warren.test\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if want := "https://warren.test:" + httpsPort + "//evil.example/x"; res.Header.Get("Location") != want {
			t.Errorf("Location %q, want %q", res.Header.Get("Location"), want)
		}
	})
	t.Run("PublicPort443IsLeftOut", func(t *testing.T) {
		tm := mustTLSMain(t, "warren.test", func(c *Config) { c.PublicPort = 443 })
		req, _ := http.NewRequest("GET", "http://"+tm.HTTPAddr()+"/x?y=z", nil)
		req.Host = "warren.test"
		res, err := noRedirects().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Location"); got != "https://warren.test/x?y=z" {
			t.Errorf("Location %q, want https://warren.test/x?y=z", got)
		}
		if !strings.Contains(tm.stdout.String(), "Warren is running at https://warren.test\n") {
			t.Errorf("stdout:\n%s", tm.stdout.String())
		}
	})
}

// challengeSource is the files source with an HTTP-01 responder, as an
// ACME source has: it answers one token, the rest goes on.
type challengeSource struct {
	*filesSource
	notReady error
}

func (s challengeSource) Ready() error { return s.notReady }

func (s challengeSource) HTTPChallenge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/acme-challenge/tok" {
			io.WriteString(w, "tok.thumbprint")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestHTTPS_HTTPChallengeOnThePlainListener(t *testing.T) {
	tm := mustTLSMain(t, "warren.test", func(c *Config) {
		src, err := newFilesSource(c.TLS.CertFile, c.TLS.KeyFile, 0, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.TLS.Certs = challengeSource{src, domain.Errorf(domain.CodeUnavailable, "no certificate for warren.test yet")}
	})
	// Until the source has the base certificate, the API host is not ready.
	res, err := tm.client(t, true).Get("https://warren.test/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "no certificate for warren.test yet") {
		t.Errorf("GET /readyz = %d %s, want 503 naming the missing certificate", res.StatusCode, b)
	}
	for path, want := range map[string]int{
		"/.well-known/acme-challenge/tok": http.StatusOK,
		"/.well-known/acme-challenge/bad": http.StatusPermanentRedirect,
	} {
		req, _ := http.NewRequest("GET", "http://"+tm.HTTPAddr()+path, nil)
		req.Host = "custom.example"
		res, err := noRedirects().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, res.StatusCode, want)
		}
		if want == http.StatusOK && string(b) != "tok.thumbprint" {
			t.Errorf("GET %s = %q", path, b)
		}
	}
}

func TestHTTPS_API(t *testing.T) {
	tm := mustTLSMain(t, "warren.test", func(c *Config) { c.TLS.HSTS = 365 * 24 * time.Hour })
	if want := "Warren is running at https://warren.test:" + portOf(tm.Addr()) + "\n"; !strings.Contains(tm.stdout.String(), want) {
		t.Errorf("stdout lacks %q:\n%s", want, tm.stdout.String())
	}
	for _, h2 := range []bool{true, false} {
		c := tm.client(t, h2)
		req, _ := http.NewRequest("GET", "https://warren.test/api/v1/me/plan", nil)
		req.Header.Set("Authorization", "Bearer "+tm.key)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		wantProto := map[bool]string{true: "HTTP/2.0", false: "HTTP/1.1"}[h2]
		if res.StatusCode != http.StatusOK || res.Proto != wantProto {
			t.Errorf("GET /api/v1/me/plan = %d over %s, want 200 over %s: %s", res.StatusCode, res.Proto, wantProto, b)
		}
		if got := res.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("Strict-Transport-Security %q on the API host", got)
		}
	}
	// A tunnel host's answers carry no HSTS of ours.
	res, err := tm.client(t, true).Get("https://nope.warren.test/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound || res.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("tunnel host: %d, Strict-Transport-Security %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
}

// TestHTTPS_AgentConnectOverHTTP2SaysWhy: an agent whose TLS offered h2
// cannot Upgrade; the answer says so instead of asking for an Upgrade
// header HTTP/2 cannot carry.
func TestHTTPS_AgentConnectOverHTTP2SaysWhy(t *testing.T) {
	tm := mustTLSMain(t, "warren.test", nil)
	req, _ := http.NewRequest("GET", "https://warren.test"+wire.ConnectPath, nil)
	req.Header.Set("Authorization", "Bearer "+tm.key)
	res, err := tm.client(t, true).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Proto != "HTTP/2.0" || res.StatusCode != http.StatusHTTPVersionNotSupported || !strings.Contains(string(b), "http/1.1") {
		t.Errorf("connect over %s = %d %s, want 505 asking for http/1.1", res.Proto, res.StatusCode, b)
	}
}
