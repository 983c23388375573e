package server

import (
	"crypto/tls"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"warren/cmd/warren/internal/server/certs"
	"warren/edge"
	"warren/edge/wire"
)

// pickCertSource is the certificate source HTTPS is served with, or nil
// for plain HTTP: the one given as is (TLS.Certs), else the operator's
// files. The ACME source joins here.
func (m *Main) pickCertSource() (CertSource, error) {
	t := m.cfg.TLS
	if t.Certs != nil {
		return t.Certs, nil
	}
	if t.CertFile != "" || t.KeyFile != "" {
		s, err := newFilesSource(t.CertFile, t.KeyFile, t.ReloadEvery, m.cfg.Now, m.cfg.Logger)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, nil
}

// listenPublic binds the public listeners. Without TLS: plain HTTP on Addr,
// serving everything, as always. With TLS: HTTPS on HTTPSAddr serving
// everything, and on Addr a plain listener that answers ACME's HTTP-01
// challenges and redirects the rest to https; public URLs say https.
func (m *Main) listenPublic() (err error) {
	if m.certs, err = m.pickCertSource(); err != nil {
		return err
	}
	if m.certs == nil && !m.cfg.ACME.on() {
		if m.public, err = listen("public", m.cfg.Addr); err != nil {
			return err
		}
		m.listeners = append(m.listeners, m.public)
		return nil
	}
	m.cfg.Scheme = "https"
	addr := m.cfg.TLS.HTTPSAddr
	if addr == "" {
		addr = ":443"
	}
	if m.public, err = listen("https", addr); err != nil {
		return err
	}
	m.listeners = append(m.listeners, m.public)
	if m.plain, err = listen("http", m.cfg.Addr); err != nil {
		return err
	}
	m.listeners = append(m.listeners, m.plain)
	if m.certs == nil {
		// ACME: built on the bound ports (certmagic would serve a free
		// challenge port itself), started once they are bound.
		a, err := m.acmeSource(m.plain.ln.Addr().String(), m.public.ln.Addr().String())
		if err != nil {
			return err
		}
		m.certs = a
		m.reportTLS(func() TLSMetrics { return acmeMetrics(a.Stats()) })
		if err := a.Start(); err != nil {
			return err
		}
	} else if f, ok := m.certs.(*filesSource); ok {
		m.reportTLS(f.metrics)
	}
	// /readyz fails until the base domain's certificate is loaded.
	m.addReadyCheck(m.certs.Ready)
	return nil
}

// acmeMetrics maps the ACME source's counts onto the metrics' series.
func acmeMetrics(s certs.Stats) TLSMetrics {
	var t TLSMetrics
	for status, n := range s.Certificates {
		t.Certificates = append(t.Certificates, CertificateCount{Source: "acme", Status: status, Count: n})
	}
	for k, n := range s.Obtains {
		t.Obtains = append(t.Obtains, ObtainCount{Challenge: k[0], Result: k[1], Count: n})
	}
	return t
}

// finishTLS completes the listeners once the public server exists: TLS
// with HTTP/2 on the public one, HSTS on the API host, the redirecting
// plain server. Without TLS it does nothing.
func (m *Main) finishTLS(router http.Handler) {
	if m.certs == nil {
		return
	}
	if hr, ok := router.(*hostRouter); ok && m.cfg.TLS.HSTS > 0 {
		// Only the API host: a tunnelled app decides its own HSTS, and
		// includeSubDomains would bind every tunnel to it.
		hr.api = hsts(m.cfg.TLS.HSTS, hr.api)
	}
	if hr, ok := router.(*hostRouter); ok {
		hr.api = agentsNeedHTTP1(hr.api)
	}
	srv := m.public.srv
	srv.TLSConfig = publicTLSConfig(m.certs.TLSConfig())
	timeout := m.cfg.TLS.HandshakeTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	// net/http bounds the handshake by the smallest of its read, header
	// and write timeouts; only the header one is set on this server.
	srv.ReadHeaderTimeout = timeout
	srv.ErrorLog = log.New(handshakeLog{m.cfg.Logger}, "", 0)
	m.public.tls = true

	plain := edge.NewHTTPServer(m.certs.HTTPChallenge(redirectHTTPS(m.publicPort())))
	plain.ErrorLog = log.New(handshakeLog{m.cfg.Logger}, "", 0)
	m.plain.srv = plain
}

// HTTPAddr is the plain listener's address when TLS is on (it redirects
// to https), else "".
func (m *Main) HTTPAddr() string {
	if m.plain == nil {
		return ""
	}
	return m.plain.ln.Addr().String()
}

// announceTLS says where plain http is redirected from.
func (m *Main) announceTLS() {
	if m.plain != nil {
		fmt.Fprintf(m.cfg.Stdout, "redirecting http on %s to https\n", m.HTTPAddr())
	}
}

// publicTLSConfig is the source's configuration with HTTP/2 offered first,
// then HTTP/1.1 (an agent offers only http/1.1, or nothing, and gets it:
// its Upgrade needs HTTP/1.1), then the source's own protocols
// ("acme-tls/1"), which only an ACME validator asks for.
func publicTLSConfig(src *tls.Config) *tls.Config {
	c := src.Clone()
	protos := []string{"h2", "http/1.1"}
	for _, p := range src.NextProtos {
		if !slices.Contains(protos, p) {
			protos = append(protos, p)
		}
	}
	c.NextProtos = protos
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// redirectHTTPS answers every request on the plain listener with a 308 to
// the same host, path and query over https (308 keeps the method and the
// body). port is the https port public URLs show; 443 is left out.
func redirectHTTPS(port int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := edge.HostOnly(r.Host)
		uri := r.URL.RequestURI()
		if host == "" || !strings.HasPrefix(uri, "/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintln(w, `{"error":"invalid","message":"this address only redirects to https: ask for https://<host>/"}`)
			return
		}
		if port != 0 && port != 443 {
			host = net.JoinHostPort(host, strconv.Itoa(port))
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]" // an IPv6 literal
		}
		http.Redirect(w, r, "https://"+host+uri, http.StatusPermanentRedirect)
	})
}

// agentsNeedHTTP1 answers an agent connect that arrived over HTTP/2 (its
// client offered h2 in ALPN) with 505 and the reason: the agent's session
// is an HTTP/1.1 Upgrade, which HTTP/2 cannot carry.
func agentsNeedHTTP1(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && r.URL.Path == wire.ConnectPath {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusHTTPVersionNotSupported)
			fmt.Fprintln(w, `{"error":"http1_required","message":"the agent connection is an HTTP/1.1 Upgrade, which HTTP/2 cannot carry: offer only http/1.1 in TLS ALPN"}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hsts adds Strict-Transport-Security to next's answers over TLS.
func hsts(maxAge time.Duration, next http.Handler) http.Handler {
	value := "max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			w.Header().Set("Strict-Transport-Security", value)
		}
		next.ServeHTTP(w, r)
	})
}

// handshakeLog is the public servers' ErrorLog. A failed TLS handshake is
// what the internet does all day (scanners, clients that name a host that
// is not ours, connections dropped mid-hello): debug, not a warning.
// Anything else net/http reports is a warning.
type handshakeLog struct{ logger *slog.Logger }

func (h handshakeLog) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if strings.HasPrefix(msg, "http: TLS handshake error") {
		h.logger.Debug(msg)
	} else {
		h.logger.Warn(msg)
	}
	return len(p), nil
}
