package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// upstream is an HTTP tunnel's local service when the agent cannot just
// pipe the tunnel's bytes to it: a TLS service (`warren http
// https://127.0.0.1:8443`), or one that wants another Host header. Each
// public stream becomes one end of an in-memory pipe whose other end an
// HTTP server of the agent's own serves, proxying to the service.
type upstream struct {
	target     *url.URL
	hostHeader string // "" keeps the public host; "rewrite" sends target's host:port
	tr         *http.Transport
	srv        *http.Server
	ln         *pipeListener
	served     chan struct{}

	mu       sync.Mutex
	report   func(string) // says why the service did not answer (set by serveTunnels); must not block
	lastSaid string
}

// newUpstream reads `warren http`'s local argument and its --upstream-insecure
// and --host-header: nil when a plain pipe to the port does (http, or no
// scheme, and the public Host kept), as before.
func newUpstream(local string, insecure bool, hostHeader string) (*upstream, error) {
	scheme := "http"
	if i := strings.Index(local, "://"); i >= 0 {
		scheme = strings.ToLower(local[:i])
	}
	switch {
	case scheme != "http" && scheme != "https":
		return nil, fmt.Errorf("%q: the local service is http:// or https://, not %s://", local, scheme)
	case insecure && scheme != "https":
		return nil, errors.New("--upstream-insecure is for an https:// local service")
	case strings.ContainsAny(hostHeader, " \t\r\n/"):
		return nil, fmt.Errorf("--host-header %q is not a host", hostHeader)
	case scheme == "http" && hostHeader == "":
		return nil, nil
	}
	if !strings.Contains(local, "://") {
		local = "http://" + local
	}
	u, err := url.Parse(local)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("%q is not a URL like https://127.0.0.1:8443", local)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	up := &upstream{
		target: &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port)}, hostHeader: hostHeader,
		ln: newPipeListener(), served: make(chan struct{}),
	}
	up.tr = &http.Transport{
		// A dev certificate is checked like any other unless the user said
		// it is self-signed.
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: insecure, ServerName: host},
		DisableCompression:  true, // the answer goes back as the service encoded it
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}
	rp := &httputil.ReverseProxy{
		Rewrite:       up.rewrite,
		Transport:     up.tr,
		FlushInterval: -1, // SSE and streams flow as they come
		ErrorHandler:  up.fail,
	}
	up.srv = &http.Server{Handler: rp, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		defer close(up.served)
		_ = up.srv.Serve(up.ln)
	}()
	return up, nil
}

// rewrite sends the request to the service as the edge sent it: the
// X-Forwarded-* the edge set are kept (ReverseProxy drops them before
// Rewrite), and Host is changed only when --host-header says so.
func (u *upstream) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(u.target)
	for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := pr.In.Header[h]; ok {
			pr.Out.Header[h] = v
		}
	}
	switch u.hostHeader {
	case "":
		pr.Out.Host = pr.In.Host
	case "rewrite":
		pr.Out.Host = u.target.Host
	default:
		pr.Out.Host = u.hostHeader
	}
}

// fail answers 502 when the service cannot be reached, and says why once
// (until the reason changes) on the agent's output.
func (u *upstream) fail(w http.ResponseWriter, r *http.Request, err error) {
	msg := fmt.Sprintf("the local service %s did not answer: %v", u.target, err)
	var cert *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &cert) || errors.As(err, &unknown) {
		msg += " (for a self-signed certificate, run with --upstream-insecure)"
	}
	// Reported under the lock, so that once setReport(nil) returns no
	// report is under way (the printer it goes to may then close).
	u.mu.Lock()
	if msg != u.lastSaid && u.report != nil {
		u.report(msg)
	}
	u.lastSaid = msg
	u.mu.Unlock()
	http.Error(w, "warren agent: "+msg, http.StatusBadGateway)
}

// setReport sets where fail says why the service did not answer.
func (u *upstream) setReport(f func(string)) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.report = f
}

// dial is the tunnel's agent.Spec.DialLocal: one pipe per public stream.
func (u *upstream) dial() (net.Conn, error) { return u.ln.dial() }

// close stops the proxy and waits for its server.
func (u *upstream) close() {
	_ = u.srv.Close()
	<-u.served
	u.tr.CloseIdleConnections()
}

// pipeListener hands the server the far ends of in-memory pipes.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) dial() (net.Conn, error) {
	near, far := net.Pipe()
	select {
	case l.conns <- far:
		return near, nil
	case <-l.closed:
		near.Close()
		far.Close()
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "agent" }
