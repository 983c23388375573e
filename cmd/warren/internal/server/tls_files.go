package server

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"warren/domain"
)

// filesSource is the CertSource of `--tls-cert FILE --tls-key FILE`: the
// operator's own certificate (typically a wildcard *.<domain> with
// <domain>), reloaded when the files change. There is no watcher goroutine:
// a handshake checks the files' stat at most once per reloadEvery, so a
// renewed pair (certbot, an operator's cron) is served from the next
// handshake on, without a restart. A new pair that does not load keeps the
// old one in service and is reported once, as a warning.
type filesSource struct {
	certFile, keyFile string
	reloadEvery       time.Duration
	now               func() time.Time
	logger            *slog.Logger

	cert      atomic.Pointer[tls.Certificate] // in service; Leaf is set
	nextCheck atomic.Int64                    // unix nanos; a handshake past it checks the files

	mu    sync.Mutex // one check at a time
	tried filesStamp // the files as last loaded or tried
}

// filesStamp says whether a file changed: its identity (a rename or a
// symlink swap gives a new inode), size and modification time.
type filesStamp struct{ cert, key os.FileInfo }

func (a filesStamp) same(b filesStamp) bool {
	return sameFile(a.cert, b.cert) && sameFile(a.key, b.key)
}

func sameFile(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == b
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// newFilesSource loads the pair at once: a missing file, a key that does not
// match the certificate or a certificate past its end is a CodeInvalid error
// that stops the start. reloadEvery (0: 1 s) bounds how often handshakes
// look at the files; now is the clock (nil: time.Now).
func newFilesSource(certFile, keyFile string, reloadEvery time.Duration, now func() time.Time, logger *slog.Logger) (*filesSource, error) {
	if certFile == "" || keyFile == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "--tls-cert and --tls-key go together: give both files or neither")
	}
	if reloadEvery <= 0 {
		reloadEvery = time.Second
	}
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &filesSource{certFile: certFile, keyFile: keyFile, reloadEvery: reloadEvery, now: now, logger: logger}
	stamp, err := s.stat()
	if err != nil {
		return nil, err
	}
	cert, err := s.load()
	if err != nil {
		return nil, err
	}
	s.cert.Store(cert)
	s.tried = stamp
	s.nextCheck.Store(now().Add(reloadEvery).UnixNano())
	return s, nil
}

func (s *filesSource) stat() (filesStamp, error) {
	c, err := os.Stat(s.certFile)
	if err != nil {
		return filesStamp{}, domain.Errorf(domain.CodeInvalid, "--tls-cert: %v", err)
	}
	k, err := os.Stat(s.keyFile)
	if err != nil {
		return filesStamp{}, domain.Errorf(domain.CodeInvalid, "--tls-key: %v", err)
	}
	return filesStamp{cert: c, key: k}, nil
}

// load reads and checks the pair.
func (s *filesSource) load() (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
	if err != nil {
		return nil, domain.Errorf(domain.CodeInvalid, "--tls-cert %s with --tls-key %s: %v", s.certFile, s.keyFile, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, domain.Errorf(domain.CodeInvalid, "--tls-cert %s: %v", s.certFile, err)
		}
	}
	if now := s.now(); now.After(cert.Leaf.NotAfter) {
		return nil, domain.Errorf(domain.CodeInvalid, "--tls-cert %s expired at %s", s.certFile, cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return &cert, nil
}

// maybeReload runs on a handshake: past nextCheck, one handshake (the one
// that moves nextCheck) stats the files and, when they changed, loads them;
// the others go on with the certificate in service.
func (s *filesSource) maybeReload() {
	now := s.now()
	next := s.nextCheck.Load()
	if now.UnixNano() < next || !s.nextCheck.CompareAndSwap(next, now.Add(s.reloadEvery).UnixNano()) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stamp, err := s.stat()
	if err != nil {
		// Mid-swap (a file renamed away for a moment) or removed: keep
		// serving; warn once per state.
		if s.tried.cert != nil {
			s.logger.Warn("TLS files unreadable; keeping the certificate in service", "err", domain.ErrorMessage(err))
			s.tried = filesStamp{}
		}
		return
	}
	if stamp.same(s.tried) {
		return
	}
	s.tried = stamp
	cert, err := s.load()
	if err != nil {
		s.logger.Warn("new TLS files do not load; keeping the certificate in service", "err", domain.ErrorMessage(err))
		return
	}
	s.cert.Store(cert)
	s.logger.Info("TLS certificate reloaded", "subject", cert.Leaf.Subject.CommonName,
		"names", strings.Join(cert.Leaf.DNSNames, ","), "not_after", cert.Leaf.NotAfter.UTC())
}

// getCertificate serves the pair to a client that names a host it covers.
// A client that names no host, or a host the certificate does not cover,
// is refused with an unrecognized_name alert: crypto/tls sends that one
// (not internal_error) when GetCertificate returns no certificate and no
// error. The reason goes to the debug log (net/http's line for it only
// says "no certificates configured").
func (s *filesSource) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.maybeReload()
	cert := s.cert.Load()
	switch {
	case hello.ServerName == "":
		s.logger.Debug("TLS handshake refused", "reason", errNoSNI, "remote", remoteOf(hello))
		return nil, nil
	case cert.Leaf.VerifyHostname(hello.ServerName) != nil:
		s.logger.Debug("TLS handshake refused", "reason", errNotOurs, "server_name", hello.ServerName, "remote", remoteOf(hello))
		return nil, nil
	}
	return cert, nil
}

func remoteOf(hello *tls.ClientHelloInfo) string {
	if hello.Conn == nil {
		return ""
	}
	return hello.Conn.RemoteAddr().String()
}

// TLSConfig implements CertSource.
func (s *filesSource) TLSConfig() *tls.Config {
	return &tls.Config{GetCertificate: s.getCertificate, MinVersion: tls.VersionTLS12}
}

// HTTPChallenge implements CertSource: files mode answers no challenge.
func (s *filesSource) HTTPChallenge(next http.Handler) http.Handler { return next }

// Ready implements CertSource: the pair loaded at start, so always.
func (s *filesSource) Ready() error { return nil }

// metrics reports the certificate in service: valid, or expired (the
// operator's renewal is late).
func (s *filesSource) metrics() TLSMetrics {
	status := "valid"
	if c := s.cert.Load(); c == nil || c.Leaf == nil || !s.now().Before(c.Leaf.NotAfter) {
		status = "expired"
	}
	return TLSMetrics{Certificates: []CertificateCount{{Source: "files", Status: status, Count: 1}}}
}

// Close implements CertSource: there is nothing running to stop.
func (s *filesSource) Close() error { return nil }

// Handshake refusals, as the client's TLS stack and the debug log see them.
const (
	errNoSNI   = tlsRefusal("no server name (SNI) in the handshake")
	errNotOurs = tlsRefusal("no certificate for that server name")
)

type tlsRefusal string

func (e tlsRefusal) Error() string { return string(e) }
