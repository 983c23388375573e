package certs

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

// front is what the server's listeners do with an ACME source, on
// loopback: a plain listener answering HTTP-01 and a TLS listener
// answering TLS-ALPN-01 and serving "hello from <host>".
type front struct {
	src        *ACME
	plain, tls net.Listener
	servers    []*http.Server
	wg         sync.WaitGroup
}

// serve starts both listeners on src and stops them (then src) at cleanup.
func (f *front) serve(t *testing.T, src *ACME) {
	t.Helper()
	f.src = src
	cfg := src.TLSConfig()
	cfg.NextProtos = append(cfg.NextProtos, "http/1.1")
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello from "+r.Host)
	})
	f.servers = []*http.Server{
		{Handler: src.HTTPChallenge(http.NotFoundHandler()), ReadHeaderTimeout: 5 * time.Second},
		{Handler: hello, ReadHeaderTimeout: 5 * time.Second, ErrorLog: quietLog()},
	}
	lns := []net.Listener{f.plain, tls.NewListener(f.tls, cfg)}
	for i, s := range f.servers {
		f.wg.Add(1)
		go func() { defer f.wg.Done(); _ = s.Serve(lns[i]) }()
	}
	t.Cleanup(func() {
		for _, s := range f.servers {
			_ = s.Close()
		}
		f.wg.Wait()
		_ = src.Close()
	})
	if err := src.Start(); err != nil {
		t.Fatal(err)
	}
}

// get asks https://host/ through the TLS listener, trusting roots.
func (f *front) get(ctx context.Context, host string, roots *x509.CertPool) (string, *x509.Certificate, error) {
	addr := f.tls.Addr().String()
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/", nil)
	if err != nil {
		return "", nil, err
	}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if res.TLS == nil || len(res.TLS.PeerCertificates) == 0 {
		return string(b), nil, errors.New("no TLS")
	}
	return string(b), res.TLS.PeerCertificates[0], err
}

// logWithDomains opens a log with the projections inline and an account
// that holds the given custom domains, verified ones and pending ones,
// the reservation reserved1 and a live tunnel live-one.
func logWithDomains(t *testing.T, verified, pending []string) *events.Log {
	t.Helper()
	l, _ := logtest.Open(t, events.Options{Applier: projections.New()})
	if err := projections.Init(l.DB()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	secret, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := l.Execute(ctx, projections.CreateAccount(projections.NewAccount{Email: "dev@example.org", Plan: domain.PlanPro,
		KeyHash: domain.HashKeySecret(secret), KeyPrefix: domain.KeyShownPrefix(secret)}))
	if err != nil {
		t.Fatal(err)
	}
	acc := projections.AccountIDFromEvents(evs)
	for i, names := range [][]string{verified, pending} {
		for _, n := range names {
			evs, err := l.Execute(ctx, projections.AddDomain(acc, n, "tok", "warren.test"))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if _, err := l.Execute(ctx, projections.RecordDomainCheck(acc, projections.DomainIDFromEvents(evs), true, "")); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// A reservation and a live tunnel: names on-demand may serve without
	// a wildcard.
	if _, err := l.Execute(ctx, projections.Reserve(acc, "reserved1")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Execute(ctx, projections.OpenTunnelCmd(projections.OpenTunnel{AccountID: acc, SessionID: "ses_1",
		Proto: domain.ProtoHTTP, Subdomain: "live-one", RemoteAddr: "127.0.0.1",
		URL:        func(s string, _ int) string { return "https://" + s + ".warren.test" },
		RandomName: func() (string, error) { return domain.RandomSubdomain(rand.Reader) }})); err != nil {
		t.Fatal(err)
	}
	return l
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() bool) bool {
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return true
}

func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }
