package certs

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"warren/cmd/warren/internal/server/certs/acmetest"
)

const base = "warren.test"

// acmeEnv is one test's world: the fake DNS, pebble, our two listeners.
type acmeEnv struct {
	dns    *acmetest.DNS
	ca     *acmetest.Pebble
	front  *front
	opts   Options
	errors *errorCounter // records at error level, from the source
}

func newACMEEnv(t *testing.T, validity uint64, tsig map[string]string) *acmeEnv {
	t.Helper()
	e := &acmeEnv{front: &front{}}
	e.dns = acmetest.StartDNS(t, tsig, base, "example.net")
	var httpPort, tlsPort int
	e.front.plain, httpPort = acmetest.ListenLoopback(t)
	e.front.tls, tlsPort = acmetest.ListenLoopback(t)
	e.ca = acmetest.StartPebble(t, e.dns.Addr, httpPort, tlsPort, validity)
	e.opts = Options{
		Domain: base, Email: "ops@" + base, CA: e.ca.Dir, CARoots: e.ca.TLSCAs,
		Dir: t.TempDir() + "/certs", ListenHost: "127.0.0.1", HTTPPort: httpPort, TLSPort: tlsPort,
		DNSResolvers: []string{e.dns.Addr},
	}
	e.errors = &errorCounter{Handler: slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})}
	e.opts.Logger = slog.New(e.errors)
	return e
}

// start builds the source from e.opts and serves it.
func (e *acmeEnv) start(t *testing.T) *ACME {
	t.Helper()
	src, err := NewACME(e.opts)
	if err != nil {
		t.Fatal(err)
	}
	e.front.serve(t, src)
	return src
}

func bounded(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func waitReady(t *testing.T, ctx context.Context, src *ACME) {
	t.Helper()
	if !waitFor(ctx, func() bool { return src.Ready() == nil }) {
		t.Fatalf("base certificate never loaded: %v", src.Ready())
	}
}

func TestACME_VerifiedCustomDomainGetsCertificateAtFirstHandshake(t *testing.T) {
	e := newACMEEnv(t, 0, nil)
	l := logWithDomains(t, []string{"shop.example.net"}, nil)
	e.opts.Decide = Decider(l.DB(), base, false)
	src := e.start(t)
	ctx := bounded(t, 60*time.Second)
	waitReady(t, ctx, src)
	for _, host := range []string{base, "api." + base} {
		if body, _, err := e.front.get(ctx, host, e.ca.Roots); err != nil || body != "hello from "+host {
			t.Fatalf("%s: %q, %v", host, body, err)
		}
	}
	before := e.ca.Orders()
	body, leaf, err := e.front.get(ctx, "shop.example.net", e.ca.Roots)
	if err != nil {
		t.Fatalf("first handshake for a verified domain: %v", err)
	}
	if body != "hello from shop.example.net" || !slices.Contains(leaf.DNSNames, "shop.example.net") {
		t.Fatalf("answer %q over a certificate for %v", body, leaf.DNSNames)
	}
	if got := e.ca.Orders() - before; got != 1 {
		t.Fatalf("%d orders for the custom domain, want 1", got)
	}
	// Without a DNS provider, an open tunnel's name is obtained the same way.
	if body, leaf, err := e.front.get(ctx, "live-one."+base, e.ca.Roots); err != nil || !slices.Contains(leaf.DNSNames, "live-one."+base) {
		t.Fatalf("live tunnel name: %q, %v", body, err)
	}
	// Four certificates, each obtained once over a challenge we answered.
	st := src.Stats()
	if st.Certificates["valid"] != 4 || len(st.Certificates) != 1 {
		t.Fatalf("certificates %v, want 4 valid", st.Certificates)
	}
	if n := st.Obtains[[2]string{"http-01", "ok"}] + st.Obtains[[2]string{"tls-alpn-01", "ok"}]; n != 4 || len(st.Obtains) > 2 {
		t.Fatalf("obtains %v, want 4 ok over http-01 or tls-alpn-01", st.Obtains)
	}
}

func TestACME_UnverifiedNameIsRefusedWithoutAnOrder(t *testing.T) {
	e := newACMEEnv(t, 0, nil)
	l := logWithDomains(t, nil, []string{"pending.example.net"})
	e.opts.Decide = Decider(l.DB(), base, false)
	src := e.start(t)
	ctx := bounded(t, 60*time.Second)
	waitReady(t, ctx, src)
	// The start-up orders (base, API host) are done once both are served.
	if _, _, err := e.front.get(ctx, "api."+base, e.ca.Roots); err != nil {
		t.Fatal(err)
	}
	before, errorsBefore := e.ca.Orders(), e.errors.n.Load()
	for _, host := range []string{"pending.example.net", "stranger.example.net", "nobody." + base, "a.b." + base} {
		if _, _, err := e.front.get(ctx, host, e.ca.Roots); err == nil {
			t.Errorf("%s: handshake succeeded, want refused", host)
		}
	}
	if got := e.ca.Orders() - before; got != 0 {
		t.Fatalf("%d ACME orders for refused names, want 0", got)
	}
	if got := e.errors.n.Load() - errorsBefore; got != 0 {
		t.Fatalf("%d records at error level for refused names, want none", got)
	}
}

// A verified domain whose DNS does not lead here fails its order; the next
// handshakes must not order it again at once (each failure counts at the CA).
func TestACME_FailedNameIsNotOrderedAgainAtOnce(t *testing.T) {
	e := newACMEEnv(t, 0, nil)
	l := logWithDomains(t, []string{"elsewhere.example.org"}, nil) // a zone the fake DNS refuses
	e.opts.Decide = Decider(l.DB(), base, false)
	e.opts.OnDemandTimeout = 3 * time.Second
	src := e.start(t)
	ctx := bounded(t, 60*time.Second)
	waitReady(t, ctx, src)
	if _, _, err := e.front.get(ctx, "api."+base, e.ca.Roots); err != nil {
		t.Fatal(err)
	}
	before := e.ca.Orders()
	// handshake is one try with a deadline; timedOut says the deadline ended it.
	handshake := func() (timedOut bool, err error) {
		hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if _, _, err = e.front.get(hctx, "elsewhere.example.org", e.ca.Roots); err == nil {
			t.Fatal("a certificate for a name whose validation fails")
		}
		return hctx.Err() != nil, err
	}
	handshake()
	if !waitFor(ctx, func() bool { return src.backoff.check("elsewhere.example.org") != nil }) {
		t.Fatal("the failure was never recorded")
	}
	ordered := e.ca.Orders()
	if ordered == before {
		t.Fatal("no order for the verified name")
	}
	// Handshakes behind the failed order wait for it (OnDemandTimeout);
	// then they are refused at once.
	if !waitFor(ctx, func() bool { timedOut, _ := handshake(); return !timedOut }) {
		t.Fatal("handshakes for the name never stopped waiting")
	}
	for range 3 {
		if timedOut, err := handshake(); timedOut {
			t.Fatalf("a handshake waited after the failure was known: %v", err)
		}
	}
	if got := e.ca.Orders() - ordered; got != 0 {
		t.Fatalf("%d new orders right after a failed one, want 0", got)
	}
	if st := src.Stats(); st.Obtains[[2]string{"http-01", "error"}]+st.Obtains[[2]string{"tls-alpn-01", "error"}]+st.Obtains[[2]string{"unanswered", "error"}] == 0 {
		t.Fatalf("obtains %v: the failure is not counted", st.Obtains)
	}
}

func TestACME_WildcardOverDNS01WithRFC2136(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	e := newACMEEnv(t, 0, map[string]string{"warren-key.": secret})
	e.opts.DNS = &RFC2136{Server: e.dns.Addr, KeyName: "warren-key", Secret: secret, Timeout: 5 * time.Second}
	e.opts.DNSPropagationTimeout = -1 // the fake zone has no real NS; pebble's lookup checks it
	l := logWithDomains(t, []string{"shop.example.net"}, nil)
	e.opts.Decide = Decider(l.DB(), base, true)
	src := e.start(t)
	ctx := bounded(t, 60*time.Second)
	waitReady(t, ctx, src)
	// The wildcard is obtained beside the base name, so it may come later.
	var err error
	ok := waitFor(ctx, func() bool {
		var body string
		var c *x509.Certificate
		body, c, err = e.front.get(ctx, "any-tunnel."+base, e.ca.Roots)
		return err == nil && body == "hello from any-tunnel."+base && slices.Contains(c.DNSNames, "*."+base)
	})
	if !ok {
		t.Fatalf("no wildcard certificate for any-tunnel.%s: %v", base, err)
	}
	if e.dns.UpdateCount() == 0 {
		t.Fatal("no RFC 2136 update reached the DNS server")
	}
	// A custom domain's zone is not ours: it is still validated over
	// HTTP-01 or TLS-ALPN-01 at its first handshake.
	if body, _, err := e.front.get(ctx, "shop.example.net", e.ca.Roots); err != nil || body != "hello from shop.example.net" {
		t.Fatalf("verified custom domain beside the wildcard: %q, %v", body, err)
	}
	st := src.Stats()
	if st.Obtains[[2]string{"dns-01", "ok"}] != 3 || st.Obtains[[2]string{"dns-01", "error"}] != 0 {
		t.Fatalf("obtains %v, want base, API host and wildcard over dns-01", st.Obtains)
	}
}

func TestACME_CertificateIsRenewedBeforeItExpires(t *testing.T) {
	e := newACMEEnv(t, 40, nil) // 40-second certificates
	e.opts.RenewalWindowRatio = 0.9
	e.opts.RenewCheckInterval = 300 * time.Millisecond
	l := logWithDomains(t, nil, nil)
	e.opts.Decide = Decider(l.DB(), base, false)
	src := e.start(t)
	ctx := bounded(t, 60*time.Second)
	waitReady(t, ctx, src)
	_, first, err := e.front.get(ctx, base, e.ca.Roots)
	if err != nil {
		t.Fatal(err)
	}
	renewed := waitFor(ctx, func() bool {
		_, c, err := e.front.get(ctx, base, e.ca.Roots)
		return err == nil && c.SerialNumber.Cmp(first.SerialNumber) != 0
	})
	if !renewed {
		t.Fatal("the certificate was not renewed within its renewal window")
	}
}

func TestDecider(t *testing.T) {
	l := logWithDomains(t, []string{"shop.example.net"}, []string{"pending.example.net"})
	for _, tc := range []struct {
		name     string
		wildcard bool
		ok       bool
	}{
		{"shop.example.net", false, true},
		{"SHOP.example.net.", false, true},
		{"pending.example.net", false, false},
		{"stranger.example.net", false, false},
		{"nobody." + base, false, false},
		{"reserved1." + base, false, true},
		{"live-one." + base, false, true},
		{"reserved1." + base, true, false}, // the wildcard serves it
		{"live-one." + base, true, false},
		{"a.b." + base, false, false},
		{"", false, false},
	} {
		err := Decider(l.DB(), base, tc.wildcard)(context.Background(), tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v, want allowed=%v", tc.name, err, tc.ok)
		}
	}
}

// errorCounter counts the records at error level it passes on.
type errorCounter struct {
	slog.Handler
	n atomic.Int64
}

func (c *errorCounter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		c.n.Add(1)
	}
	return c.Handler.Handle(ctx, r)
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestNewACME_RefusesNamesLetsEncryptWillNotSign(t *testing.T) {
	for _, d := range []string{"localhost", "warren.local", "10.0.0.7"} {
		if _, err := NewACME(Options{Domain: d, Email: "ops@example.org", Dir: t.TempDir()}); err == nil {
			t.Errorf("%s: accepted for Let's Encrypt", d)
		}
	}
	// A private CA may sign internal names.
	src, err := NewACME(Options{Domain: "warren.internal", Email: "ops@example.org", CA: "https://ca.internal/dir", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	src.Close()
}
