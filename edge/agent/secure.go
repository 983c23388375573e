package agent

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"

	"warren/domain"
)

// CheckServer refuses a server URL that would carry an API key across the
// network in clear: plain http is allowed only to a loopback host
// (IsLoopbackHost), unless insecure (the CLI's --insecure) says the
// operator accepts it. It never dials. Errors: CodeInvalid, for a URL that
// is not http(s) too.
func CheckServer(server string, insecure bool) error {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return domain.Errorf(domain.CodeInvalid, "server %q is not an http(s) URL", server)
	}
	if u.Scheme == "https" || insecure || IsLoopbackHost(u.Hostname()) {
		return nil
	}
	return domain.Errorf(domain.CodeInvalid,
		"refusing to send the API key to %s in clear: plain http to a host that is not loopback would carry the key "+
			"across the network unencrypted, readable by anyone on the path. Use the server's https:// URL "+
			"(with --ca FILE if its certificate comes from a private CA), or pass --insecure (WARREN_INSECURE=true) "+
			"if you accept the risk on this network", u.Scheme+"://"+u.Host)
}

// IsLoopbackHost reports whether host (a name or an IP, without port or
// brackets) never leaves the machine: 127.0.0.0/8, ::1 (IPv4-mapped forms
// too), localhost and *.localhost (RFC 6761: resolvers must answer them
// with loopback).
func IsLoopbackHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// LoadCA reads one or more PEM certificates from file into a pool that
// holds the system roots too (an https server may use either). Errors:
// CodeInvalid naming the file when it cannot be read, holds no
// certificate, or holds one that does not parse.
func LoadCA(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, domain.Errorf(domain.CodeInvalid, "reading the CA file %s: %v", file, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // no system roots on this machine: the file's alone
	}
	n := 0
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, domain.Errorf(domain.CodeInvalid, "the CA file %s: certificate %d does not parse: %v", file, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "the CA file %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", file)
	}
	return pool, nil
}

// connectTLS is the agent's TLS: the connect upgrade is an HTTP/1.1
// request, so ALPN offers http/1.1 only (a server preferring h2 must not
// pick it). roots nil means the system roots.
func connectTLS(serverName string, roots *x509.CertPool) *tls.Config {
	return &tls.Config{ServerName: serverName, RootCAs: roots, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
}

// ExplainTLS turns a failed certificate check in err's chain into a
// message that says what to do (--ca for a private CA); any other error is
// returned as it is. server names the server in the message.
func ExplainTLS(err error, server string) error {
	var cv *tls.CertificateVerificationError
	if !errors.As(err, &cv) {
		return err
	}
	var he x509.HostnameError
	if errors.As(cv.Err, &he) {
		return domain.Errorf(domain.CodeUnavailable, "the certificate of %s is not trusted: %v; use the name the certificate is for in the server URL", server, he)
	}
	return domain.Errorf(domain.CodeUnavailable,
		"the certificate of %s is not trusted (%v); if the server uses a private CA, pass that CA's certificate with --ca FILE (env WARREN_CA)",
		server, cv.Err)
}

// hostPort is u's host with the scheme's default port when it has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}
