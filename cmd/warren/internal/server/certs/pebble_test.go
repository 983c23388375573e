package certs

import (
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// pebbleCA is an in-process ACME server (pebble's own packages) on a TLS
// loopback listener. Its VA resolves names through dnsAddr and dials our
// challenge ports; it counts the orders it was asked for.
type pebbleCA struct {
	dir    string         // ACME directory URL
	tlsCAs *x509.CertPool // trusts the directory's TLS
	roots  *x509.CertPool // trusts the certificates it issues
	orders atomic.Int64
}

func startPebble(t *testing.T, dnsAddr string, httpPort, tlsPort int, validity uint64) *pebbleCA {
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
	p := &pebbleCA{}
	h := w.Handler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/order-plz" {
			p.orders.Add(1)
		}
		h.ServeHTTP(rw, r)
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p.dir = srv.URL + wfe.DirectoryPath
	p.tlsCAs = x509.NewCertPool()
	p.tlsCAs.AddCert(srv.Certificate())
	p.roots = x509.NewCertPool()
	root, err := x509.ParseCertificate(authority.GetRootCert(0).DER)
	if err != nil {
		t.Fatal(err)
	}
	p.roots.AddCert(root)
	return p
}
