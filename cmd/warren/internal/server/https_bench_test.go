package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// keepAliveLoad drives conns keep-alive HTTP/1.1 clients (over TLS when
// tlsc is set) at addr, GET url, for d; it returns requests per second.
func keepAliveLoad(tb testing.TB, addr, url string, tlsc *tls.Config, conns int, d time.Duration) float64 {
	tb.Helper()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig:     tlsc,
		ForceAttemptHTTP2:   tlsc != nil && slices.Contains(tlsc.NextProtos, "h2"),
		MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true,
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var n, errs atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				res, err := c.Get(url)
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					errs.Add(1)
					continue
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if e := errs.Load(); e > 0 {
		fmt.Fprintf(os.Stderr, "%s: %d errors\n", url, e)
	}
	return float64(n.Load()) / d.Seconds()
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

// BenchmarkHTTPS_TunnelKeepAlive: 50 keep-alive connections, 2-byte
// answers, through a tunnel of a server with TLS (HTTP/1.1 over TLS) and
// of one without (plain HTTP), the same origin and the real agent for
// both; interleaved rounds, medians compared (target: https ≥ 0.8 × http).
// A third arm sends the same 50 concurrent clients over HTTP/2 (streams on
// one connection), for reference.
func BenchmarkHTTPS_TunnelKeepAlive(b *testing.B) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer origin.Close()
	local := strings.TrimPrefix(origin.URL, "http://")
	mod := func(c *Config) { c.MaxConnsPerClient, c.MaxConnsPerTunnel = -1, -1 }
	secure := startTestMain(b, "localhost", true, mod)
	plain := startTestMain(b, "localhost", false, mod)
	startTLSAgent(b, secure, local, "bench").wait(b, "Forwarding https://")
	startTLSAgent(b, plain, local, "bench").wait(b, "Forwarding http://")
	h1 := secure.ca.clientTLS("bench.localhost", "http/1.1")
	h2 := secure.ca.clientTLS("bench.localhost", "h2")
	const rounds, conns = 7, 50
	d := time.Second
	keepAliveLoad(b, secure.Addr(), "https://bench.localhost/", h1, conns, d) // warm up
	keepAliveLoad(b, plain.Addr(), "http://bench.localhost/", nil, conns, d)
	var s, p, m []float64
	for i := range rounds {
		s = append(s, keepAliveLoad(b, secure.Addr(), "https://bench.localhost/", h1, conns, d))
		p = append(p, keepAliveLoad(b, plain.Addr(), "http://bench.localhost/", nil, conns, d))
		m = append(m, keepAliveLoad(b, secure.Addr(), "https://bench.localhost/", h2, conns, d))
		fmt.Fprintf(os.Stderr, "round %d: https %.0f req/s, http %.0f req/s, https h2 %.0f req/s\n", i, s[i], p[i], m[i])
	}
	sm, pm, mm := median(s), median(p), median(m)
	// Each round's https and http run back to back: the median of their
	// ratios is steadier than the ratio of medians on a shared machine.
	ratios := make([]float64, rounds)
	for i := range rounds {
		ratios[i] = s[i] / p[i]
	}
	b.ReportMetric(median(ratios), "https/http-per-round")
	b.ReportMetric(sm, "https-req/s")
	b.ReportMetric(pm, "http-req/s")
	b.ReportMetric(mm, "https-h2-req/s")
	b.ReportMetric(sm/pm, "https/http")
	fmt.Fprintf(os.Stderr, "tunnel 50c keep-alive medians: https %.0f req/s, http %.0f req/s, https/http %.2f (per-round median %.2f); h2 %.0f req/s\n", sm, pm, sm/pm, median(ratios), mm)
}

// handshakeLoad opens new TLS connections to addr from workers goroutines
// for d (no session resumption: each is a full handshake); with request,
// each also carries one GET before it closes. It returns connections per
// second.
func handshakeLoad(tb testing.TB, addr string, cfg *tls.Config, request string, workers int, d time.Duration) float64 {
	tb.Helper()
	var n, errs atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
				if err != nil {
					errs.Add(1)
					continue
				}
				if request != "" {
					_ = c.SetDeadline(time.Now().Add(5 * time.Second))
					io.WriteString(c, request)
					res, err := http.ReadResponse(bufio.NewReader(c), nil)
					if err != nil || res.StatusCode != http.StatusOK {
						errs.Add(1)
						c.Close()
						continue
					}
					io.Copy(io.Discard, res.Body)
				}
				c.Close()
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if e := errs.Load(); e > 0 {
		fmt.Fprintf(os.Stderr, "%s: %d errors\n", addr, e)
	}
	return float64(n.Load()) / d.Seconds()
}

// bareTLSServer is the floor: crypto/tls alone, handshaking each accepted
// connection and answering one fixed HTTP response.
func bareTLSServer(tb testing.TB, cert tls.Certificate) string {
	tb.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
						return
					}
				}
			}()
		}
	}()
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// BenchmarkHTTPS_Handshakes: full handshakes per second (ECDSA P-256,
// TLS 1.3, no resumption), a new connection per request, on the public
// listener (GET /healthz on the API host) against a bare crypto/tls server
// with the same certificate, in interleaved rounds.
func BenchmarkHTTPS_Handshakes(b *testing.B) {
	tm := mustTLSMain(b, "warren.test", nil)
	cert, err := tls.LoadX509KeyPair(tm.cfg.TLS.CertFile, tm.cfg.TLS.KeyFile)
	if err != nil {
		b.Fatal(err)
	}
	bare := bareTLSServer(b, cert)
	cfg := tm.ca.clientTLS("warren.test", "http/1.1")
	const req = "GET /healthz HTTP/1.1\r\nHost: warren.test\r\nConnection: close\r\n\r\n"
	const rounds, workers = 5, 8
	d := time.Second
	handshakeLoad(b, tm.Addr(), cfg, req, workers, d) // warm up
	var pub, floor []float64
	for i := range rounds {
		pub = append(pub, handshakeLoad(b, tm.Addr(), cfg, req, workers, d))
		floor = append(floor, handshakeLoad(b, bare, cfg, req, workers, d))
		fmt.Fprintf(os.Stderr, "round %d: public %.0f conn/s, bare crypto/tls %.0f conn/s\n", i, pub[i], floor[i])
	}
	pm, fm := median(pub), median(floor)
	b.ReportMetric(pm, "public-conn/s")
	b.ReportMetric(fm, "bare-conn/s")
	b.ReportMetric(pm/fm, "public/bare")
	fmt.Fprintf(os.Stderr, "handshakes, new connection per request, medians: public %.0f/s, bare crypto/tls %.0f/s, public/bare %.2f\n", pm, fm, pm/fm)
}
