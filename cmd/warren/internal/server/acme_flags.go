package server

import (
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server/certs"
	"warren/domain"
)

// ACMESettings is how `warren serve` gets certificates through ACME
// (cmd/warren/internal/server/certs). Email set turns it on.
type ACMESettings struct {
	Email string // ACME account contact (--acme-email)
	CA    string // ACME directory URL (--acme-ca; "": Let's Encrypt production)
	// CARoots, when set, are the only roots trusted for the ACME server's
	// own TLS (--acme-ca-root: a private CA's PEM file).
	CARoots *x509.CertPool
	// RFC2136Server, with TSIGName and TSIGSecret (optional), sends
	// DNS-01's records by RFC 2136 dynamic updates; DNSExec runs the
	// operator's script instead. Either one adds the wildcard *.<domain>.
	RFC2136Server        string
	TSIGName, TSIGSecret string
	DNSExec              string
}

// on reports whether ACME was asked for.
func (s ACMESettings) on() bool { return s.Email != "" }

// acmeFlags are the flags of ACMESettings, registered on serve's FlagSet.
type acmeFlags struct {
	email, ca, caRoot, rfc2136, tsig, exec *string
}

// addACMEFlags registers --acme-email, --acme-ca, --acme-ca-root,
// --dns-rfc2136-server, --dns-rfc2136-tsig-key and --dns-exec.
func addACMEFlags(e *command.Env, fs *flag.FlagSet) *acmeFlags {
	return &acmeFlags{
		email:   fs.String("acme-email", command.EnvDefault(e, "WARREN_ACME_EMAIL", ""), "obtain and renew certificates through ACME with this account email: the base domain and api.<domain> at start, verified custom domains (and, without a DNS provider, reserved and open tunnel names) at their first handshake (env WARREN_ACME_EMAIL)"),
		ca:      fs.String("acme-ca", command.EnvDefault(e, "WARREN_ACME_CA", certs.LetsEncrypt), "ACME directory URL (env WARREN_ACME_CA)"),
		caRoot:  fs.String("acme-ca-root", command.EnvDefault(e, "WARREN_ACME_CA_ROOT", ""), "PEM file of the roots that sign a private ACME server's own TLS certificate (env WARREN_ACME_CA_ROOT)"),
		rfc2136: fs.String("dns-rfc2136-server", command.EnvDefault(e, "WARREN_DNS_RFC2136_SERVER", ""), "host:port of the primary DNS server that takes RFC 2136 updates for the DNS-01 wildcard *.<domain> (env WARREN_DNS_RFC2136_SERVER)"),
		tsig:    fs.String("dns-rfc2136-tsig-key", command.EnvDefault(e, "WARREN_DNS_RFC2136_TSIG_KEY", ""), "name:base64secret of the hmac-sha256 TSIG key that signs the updates (env WARREN_DNS_RFC2136_TSIG_KEY)"),
		exec:    fs.String("dns-exec", command.EnvDefault(e, "WARREN_DNS_EXEC", ""), "script `PATH`, run as PATH set|unset ZONE NAME VALUE to publish DNS-01's TXT records for the wildcard *.<domain> (env WARREN_DNS_EXEC)"),
	}
}

// settings checks the parsed flags (exit code 2 on a bad one).
func (f *acmeFlags) settings() (ACMESettings, error) {
	s := ACMESettings{Email: *f.email, CA: *f.ca, RFC2136Server: *f.rfc2136, DNSExec: *f.exec}
	bad := func(format string, args ...any) (ACMESettings, error) {
		return s, &command.ExitError{Code: 2, Err: fmt.Errorf(format, args...)}
	}
	if !s.on() {
		if *f.caRoot != "" || s.RFC2136Server != "" || *f.tsig != "" || s.DNSExec != "" {
			return bad("--acme-ca-root, --dns-rfc2136-server, --dns-rfc2136-tsig-key and --dns-exec need --acme-email")
		}
		return s, nil
	}
	if u, err := url.Parse(s.CA); err != nil || u.Scheme != "https" || u.Host == "" {
		return bad("--acme-ca %q is not an https:// directory URL", s.CA)
	}
	if *f.caRoot != "" {
		pem, err := os.ReadFile(*f.caRoot)
		if err != nil {
			return bad("--acme-ca-root: %v", err)
		}
		s.CARoots = x509.NewCertPool()
		if !s.CARoots.AppendCertsFromPEM(pem) {
			return bad("--acme-ca-root %s holds no PEM certificate", *f.caRoot)
		}
	}
	if s.RFC2136Server != "" && s.DNSExec != "" {
		return bad("--dns-rfc2136-server and --dns-exec are two DNS providers: give one")
	}
	if s.RFC2136Server != "" {
		if _, _, err := net.SplitHostPort(s.RFC2136Server); err != nil {
			return bad("--dns-rfc2136-server %q is not host:port", s.RFC2136Server)
		}
	}
	if *f.tsig != "" {
		if s.RFC2136Server == "" {
			return bad("--dns-rfc2136-tsig-key needs --dns-rfc2136-server")
		}
		var err error
		if s.TSIGName, s.TSIGSecret, err = certs.ParseTSIGKey(*f.tsig); err != nil {
			return bad("--dns-rfc2136-tsig-key: %s", domain.ErrorMessage(err))
		}
	}
	return s, nil
}
