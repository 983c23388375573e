package server

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

// TestServe_TLSFromEnv runs `warren serve` with its TLS settings from the
// environment twins: https on --https-addr, the plain --addr redirecting,
// HSTS on the API host, a clean stop.
func TestServe_TLSFromEnv(t *testing.T) {
	ca := mustTestCA(t)
	certFile, keyFile := ca.writePair(t, t.TempDir(), 1, "localhost", "*.localhost")
	s := warrentest.StartServerAt(t, t.TempDir(), "127.0.0.1:0",
		"WARREN_TLS_CERT="+certFile, "WARREN_TLS_KEY="+keyFile, "WARREN_HTTPS_ADDR=127.0.0.1:0", "WARREN_HSTS=1h")
	if want := "https://localhost:" + portOf(s.Addr); s.URL != want {
		t.Errorf("URL %q, want %q", s.URL, want)
	}
	m := regexp.MustCompile(`redirecting http on (\S+) to https`).FindStringSubmatch(s.WaitOutput(t, "redirecting http on"))
	if m == nil {
		t.Fatalf("no redirect line:\n%s", s.Output())
	}

	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
		},
		TLSClientConfig:   &tls.Config{RootCAs: ca.pool},
		ForceAttemptHTTP2: true,
	}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://localhost/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Proto != "HTTP/2.0" || res.Header.Get("Strict-Transport-Security") != "max-age=3600" {
		t.Errorf("GET https /healthz = %d over %s, HSTS %q", res.StatusCode, res.Proto, res.Header.Get("Strict-Transport-Security"))
	}

	req, _ := http.NewRequest("GET", "http://"+m[1]+"/healthz?x=1", nil)
	req.Host = "localhost"
	res, err = noRedirects().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusPermanentRedirect || loc != s.URL+"/healthz?x=1" {
		t.Errorf("plain GET = %d Location %q, want 308 %s/healthz?x=1", res.StatusCode, loc, s.URL)
	}
	if out := s.Stop(t); !strings.Contains(out, "listening on "+s.Addr) {
		t.Errorf("stdout:\n%s", out)
	}
}
