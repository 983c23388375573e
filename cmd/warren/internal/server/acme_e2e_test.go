package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"warren/cmd/warren/internal/server/certs/acmetest"
	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
	"warren/edge/agent"
	"warren/projections"
)

// TestServe_ACMEThroughTheListeners runs Main with --acme-email against
// pebble, on loopback, with no network: the fake DNS resolves the base
// zone and a customer's zone to 127.0.0.1, where pebble's validator finds
// Main's own plain listener (HTTP-01) and HTTPS listener (TLS-ALPN-01).
// The base certificate is obtained at start (/readyz goes 200 then), a
// verified custom domain gets its certificate at its first handshake and
// its tunnel answers over TLS, and names that are not ours are refused
// before any order reaches the CA.
func TestServe_ACMEThroughTheListeners(t *testing.T) {
	const base = "warren.test" // .test: pebble signs it, the fake DNS serves it
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dns := acmetest.StartDNS(t, nil, base, "example.net")
	// Pebble's directory first (Main needs its URL), its validator once
	// Main's challenge ports are bound.
	ca := acmetest.ListenPebble(t)
	logs := new(warrentest.LockedBuffer)
	m := NewMain(Config{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", Domain: base, OperatorEmail: "root@" + base,
		TLS:           TLSSettings{HTTPSAddr: "127.0.0.1:0"},
		ACME:          ACMESettings{Email: "ops@" + base, CA: ca.Dir, CARoots: ca.TLSCAs},
		DNSResolver:   dns.Addr,
		Logger:        slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ShutdownGrace: 5 * time.Second,
	})
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() }) // before pebble and the DNS stop
	defer func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	}()
	_, httpPort := splitPort(m.HTTPAddr())
	_, httpsPort := splitPort(m.Addr())
	ca.Validate(t, dns.Addr, httpPort, httpsPort, 0)
	client := acmeClient(t, m.Addr(), ca.Roots)

	started := t.Run("BaseCertificateAtStart", func(t *testing.T) {
		var last string
		ok := pollUntil(ctx, func() bool {
			res, err := client.Get("https://" + base + "/readyz")
			if err != nil {
				last = err.Error()
				return false
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			last = fmt.Sprintf("%d %s", res.StatusCode, b)
			return res.StatusCode == http.StatusOK
		})
		if !ok {
			t.Fatalf("/readyz never answered 200 over TLS; last: %s", last)
		}
		// The API host is obtained at start too (it may finish later).
		for _, host := range []string{base, "api." + base} {
			var leaf *x509.Certificate
			var err error
			if !pollUntil(ctx, func() bool { leaf, err = handshake(m.Addr(), host, ca.Roots); return err == nil }) {
				t.Fatalf("handshake for %s: %v", host, err)
			}
			if !slices.Contains(leaf.DNSNames, host) {
				t.Errorf("%s served a certificate for %v", host, leaf.DNSNames)
			}
		}
	})
	if !started {
		return
	}

	// An account with a verified custom domain and a pending one.
	acc, key := mustServeAccount(t, m, "shop@example.net")
	evs, err := m.Log.Execute(ctx, projections.AddDomain(acc, "shop.example.net", "tok", base))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.Execute(ctx, projections.RecordDomainCheck(acc, projections.DomainIDFromEvents(evs), true, "")); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.Execute(ctx, projections.AddDomain(acc, "pending.example.net", "tok", base)); err != nil {
		t.Fatal(err)
	}

	t.Run("VerifiedCustomDomainAtFirstHandshake", func(t *testing.T) {
		origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "origin: %s %s xfp=%s", r.Method, r.URL.Path, r.Header.Get("X-Forwarded-Proto"))
		}))
		defer origin.Close()
		ag := dialAgentVia(t, ctx, dns, agent.Options{Server: m.URL(), Key: key, RootCAs: ca.Roots,
			MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})
		defer func() {
			cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer ccancel()
			ag.Close(cctx)
		}()
		if _, err := ag.Open(ctx, agent.Spec{Proto: domain.ProtoHTTP, Local: origin.Listener.Addr().String(),
			Subdomain: "shop", Hostname: "shop.example.net"}); err != nil {
			t.Fatal(err)
		}
		before := ca.Orders()
		res, err := client.Get("https://shop.example.net/hook")
		if err != nil {
			t.Fatalf("first request to the verified custom domain: %v", err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(b) != "origin: GET /hook xfp=https" {
			t.Errorf("through the tunnel: %d %q", res.StatusCode, b)
		}
		if leaf := res.TLS.PeerCertificates[0]; !slices.Contains(leaf.DNSNames, "shop.example.net") {
			t.Errorf("shop.example.net served a certificate for %v", leaf.DNSNames)
		}
		if got := ca.Orders() - before; got != 1 {
			t.Errorf("%d orders for the custom domain, want 1", got)
		}
		// Obtained once: the next connection is served from the cache.
		if _, err := handshake(m.Addr(), "shop.example.net", ca.Roots); err != nil || ca.Orders()-before != 1 {
			t.Errorf("second handshake: %v, %d orders", err, ca.Orders()-before)
		}
	})

	t.Run("ErrNotOursNoOrder", func(t *testing.T) {
		before := ca.Orders()
		for _, host := range []string{"stranger.example.net", "pending.example.net", "nobody." + base, "a.b." + base} {
			if _, err := handshake(m.Addr(), host, ca.Roots); err == nil {
				t.Errorf("%s: handshake succeeded, want refused", host)
			}
		}
		if got := ca.Orders() - before; got != 0 {
			t.Errorf("%d ACME orders for names that are not ours, want 0", got)
		}
	})

	// The three certificates, each obtained once over a challenge served
	// by Main's listeners, are what the metrics report.
	var ok, failed int
	for _, o := range m.tlsMetrics().Obtains {
		switch o.Result {
		case "ok":
			ok += int(o.Count)
		default:
			failed += int(o.Count)
		}
	}
	if ok != 3 || failed != 0 {
		t.Errorf("obtains %+v, want 3 ok", m.tlsMetrics().Obtains)
	}
}

// acmeClient speaks https to addr whatever the URL's host, trusting roots,
// one connection per request (each one a handshake).
func acmeClient(t *testing.T, addr string, roots *x509.CertPool) *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2: true,
		DisableKeepAlives: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// handshake is one TLS handshake with addr for serverName, verified
// against roots; it returns the leaf served.
func handshake(addr, serverName string, roots *x509.CertPool) (*x509.Certificate, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr,
		&tls.Config{ServerName: serverName, RootCAs: roots})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0], nil
}

// dialAgentVia dials the real agent client with the process's resolver
// swapped for dns's for the dial only: the agent resolves the server's
// name (the base domain) once, at connect, with no hook of its own.
func dialAgentVia(t *testing.T, ctx context.Context, dns *acmetest.DNS, o agent.Options) *agent.Client {
	t.Helper()
	saved := net.DefaultResolver
	net.DefaultResolver = dns.Resolver()
	ag, err := agent.Dial(ctx, o)
	net.DefaultResolver = saved
	if err != nil {
		t.Fatal(err)
	}
	return ag
}

// pollUntil tries cond every 50 ms until it holds or ctx ends.
func pollUntil(ctx context.Context, cond func() bool) bool {
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return true
}
