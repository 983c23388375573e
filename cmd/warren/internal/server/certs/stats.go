package certs

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/caddyserver/certmagic"
)

// Stats are an ACME source's numbers for /metrics, read at scrape time.
// No label is a name: custom domains are unbounded.
type Stats struct {
	// Certificates held, by status: "valid", "expiring" (in its renewal
	// window), "expired", and "missing" for a start-up name with none yet.
	Certificates map[string]int
	// Obtains since start (renewals included), by challenge ("http-01",
	// "tls-alpn-01", "dns-01"; "unanswered" when no challenge reached us:
	// the CA reused a valid authorization, or could not connect) and
	// result ("ok", "error").
	Obtains map[[2]string]uint64
}

// tally records what Stats reports. It learns from certmagic's events
// (certificates cached, obtains ended) and from the challenges the source
// answers, so the handshake path pays a map write only for a challenge.
type tally struct {
	mu         sync.Mutex
	names      map[string]struct{}  // one SAN of each certificate cached
	challenges map[string]string    // name → challenge answered for it last
	obtains    map[[2]string]uint64 // (challenge, result) → count
}

func newTally() *tally {
	return &tally{names: map[string]struct{}{}, challenges: map[string]string{}, obtains: map[[2]string]uint64{}}
}

// answered notes that a challenge of kind was answered for name.
func (t *tally) answered(name, kind string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.challenges[strings.ToLower(name)] = kind
}

// onEvent counts certmagic's events; dns says the config solves DNS-01.
func (t *tally) onEvent(event string, data map[string]any, dns bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch event {
	case "cached_managed_cert":
		if sans, _ := data["sans"].([]string); len(sans) > 0 {
			t.names[sans[0]] = struct{}{}
		}
	case "cert_obtained", "cert_failed":
		name, _ := data["identifier"].(string)
		kind := t.challenges[name]
		delete(t.challenges, name)
		switch {
		case dns:
			kind = "dns-01"
		case kind == "":
			kind = "unanswered"
		}
		result := "ok"
		if event == "cert_failed" {
			result = "error"
		}
		t.obtains[[2]string{kind, result}]++
	}
}

// Stats reads the cache and the counts.
func (a *ACME) Stats() Stats {
	a.tally.mu.Lock()
	names := append([]string(nil), a.names...)
	for n := range a.tally.names {
		names = append(names, n)
	}
	s := Stats{Certificates: map[string]int{}, Obtains: make(map[[2]string]uint64, len(a.tally.obtains))}
	for k, v := range a.tally.obtains {
		s.Obtains[k] = v
	}
	a.tally.mu.Unlock()
	seen := map[string]bool{}
	for _, name := range names {
		held := a.cache.AllMatchingCertificates(name)
		if len(held) == 0 && a.managed(name) {
			s.Certificates["missing"]++
		}
		for _, c := range held {
			if seen[c.Hash()] {
				continue
			}
			seen[c.Hash()] = true
			s.Certificates[status(c, a.static)]++
		}
	}
	return s
}

func status(c certmagic.Certificate, cfg *certmagic.Config) string {
	switch {
	case c.Expired():
		return "expired"
	case c.NeedsRenewal(cfg):
		return "expiring"
	}
	return "valid"
}

// noteTLSALPN records a TLS-ALPN-01 challenge answered in a handshake.
func (a *ACME) noteTLSALPN(hello *tls.ClientHelloInfo) {
	if slices.Contains(hello.SupportedProtos, "acme-tls/1") {
		a.tally.answered(hello.ServerName, "tls-alpn-01")
	}
}

// httpChallenge answers HTTP-01 and notes it.
func (a *ACME) httpChallenge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.issuer.HandleHTTPChallenge(w, r) {
			host := r.Host
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h
			}
			a.tally.answered(host, "http-01")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// onEvent is a config's certmagic event hook: the tally counts (dns: the
// config solves DNS-01), and on the on-demand config a failed order holds
// its name back (backoff).
func (a *ACME) onEvent(dns, onDemand bool) func(context.Context, string, map[string]any) error {
	return func(ctx context.Context, event string, data map[string]any) error {
		a.tally.onEvent(event, data, dns)
		if onDemand {
			return a.backoff.onEvent(ctx, event, data)
		}
		return nil
	}
}
