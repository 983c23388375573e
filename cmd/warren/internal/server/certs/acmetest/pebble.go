package acmetest

import (
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// Pebble is an in-process ACME server (pebble's own packages) on a TLS
// listener on 127.0.0.1:0. Its VA resolves names through a DNS server and
// dials the challenge ports it was given; it counts the orders it was
// asked for.
type Pebble struct {
	Dir string // the ACME directory URL (https://127.0.0.1:PORT/dir)
	// TLSCAs trusts the directory's own TLS certificate (a client's
	// CARoots); TLSRootFile is the same certificate as a PEM file
	// (--acme-ca-root).
	TLSCAs      *x509.CertPool
	TLSRootFile string
	// Roots trusts the certificates it issues (set by Validate).
	Roots *x509.CertPool

	orders  atomic.Int64
	handler http.Handler  // pebble's WFE, set before ready is closed
	ready   chan struct{} // closed by Validate
	stop    chan struct{} // closed at cleanup: held requests give up
}

// Orders is how many new orders were posted so far.
func (p *Pebble) Orders() int64 { return p.orders.Load() }

// StartPebble starts pebble until t's cleanup. Its VA asks dnsAddr for
// every name and validates HTTP-01 on httpPort, TLS-ALPN-01 on tlsPort;
// certificates last validity seconds (0: pebble's default). It sets
// pebble's environment for t (no validation sleeps, no nonce rejects), so
// t must not be parallel.
func StartPebble(t testing.TB, dnsAddr string, httpPort, tlsPort int, validity uint64) *Pebble {
	t.Helper()
	p := ListenPebble(t)
	p.Validate(t, dnsAddr, httpPort, tlsPort, validity)
	return p
}

// ListenPebble binds pebble's directory (Dir, TLSCAs and TLSRootFile are
// known) and holds every request until Validate says where challenges are
// answered: for a client whose challenge ports are bound after it is
// given the directory (warren serve on 127.0.0.1:0). It stops at t's
// cleanup.
func ListenPebble(t testing.TB) *Pebble {
	t.Helper()
	p := &Pebble{ready: make(chan struct{}), stop: make(chan struct{})}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		select {
		case <-p.ready:
		case <-p.stop:
			http.Error(rw, "pebble stopped", http.StatusServiceUnavailable)
			return
		case <-r.Context().Done():
			return
		}
		if r.Method == http.MethodPost && r.URL.Path == "/order-plz" {
			p.orders.Add(1)
		}
		p.handler.ServeHTTP(rw, r)
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(p.stop) }) // before srv.Close, which waits for handlers
	p.Dir = srv.URL + wfe.DirectoryPath
	p.TLSCAs = x509.NewCertPool()
	p.TLSCAs.AddCert(srv.Certificate())
	p.TLSRootFile = filepath.Join(t.TempDir(), "pebble-tls-root.pem")
	if err := os.WriteFile(p.TLSRootFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Validate starts pebble's CA, VA and WFE behind the directory and lets
// the held requests in: the VA asks dnsAddr for every name and validates
// HTTP-01 on httpPort, TLS-ALPN-01 on tlsPort; certificates last validity
// seconds (0: pebble's default). It sets pebble's environment for t (no
// validation sleeps, no nonce rejects), so t must not be parallel. Call
// it once.
func (p *Pebble) Validate(t testing.TB, dnsAddr string, httpPort, tlsPort int, validity uint64) {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	logger := log.New(io.Discard, "", 0)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{
		"default": {Description: "test", ValidityPeriod: validity},
	})
	v := va.New(logger, httpPort, tlsPort, false, dnsAddr, store)
	w := wfe.New(logger, store, v, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	root, err := x509.ParseCertificate(authority.GetRootCert(0).DER)
	if err != nil {
		t.Fatal(err)
	}
	p.Roots = x509.NewCertPool()
	p.Roots.AddCert(root)
	p.handler = w.Handler()
	close(p.ready)
}

// ListenLoopback listens on 127.0.0.1:0 and returns the listener with its
// port, for the challenge ports pebble must know before it starts.
func ListenLoopback(t testing.TB) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	return ln, p
}
