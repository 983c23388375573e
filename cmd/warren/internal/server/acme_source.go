package server

import (
	"net"
	"path/filepath"
	"strconv"

	"github.com/caddyserver/certmagic"

	"warren/cmd/warren/internal/server/certs"
)

// The ACME source is one of the listener's certificate sources.
var _ CertSource = (*certs.ACME)(nil)

// acmeSource builds the ACME certificate source from cfg.ACME, not yet
// started: call its Start once the listeners on httpAddr (plain, HTTP-01)
// and httpsAddr (TLS-ALPN-01) are bound, and pass their bound addresses:
// certmagic serves a challenge port itself when it finds it free. Certificates, their keys and the
// ACME account live in <data>/certs (0700). On-demand names are decided
// against the log's projections (certs.Decider).
func (m *Main) acmeSource(httpAddr, httpsAddr string) (*certs.ACME, error) {
	a := m.cfg.ACME
	var dns certmagic.DNSProvider
	switch {
	case a.RFC2136Server != "":
		dns = &certs.RFC2136{Server: a.RFC2136Server, KeyName: a.TSIGName, Secret: a.TSIGSecret}
	case a.DNSExec != "":
		dns = &certs.Exec{Path: a.DNSExec}
	}
	var resolvers []string
	if m.cfg.DNSResolver != "" {
		resolvers = []string{m.cfg.DNSResolver}
	}
	host, httpsPort := splitPort(httpsAddr)
	_, httpPort := splitPort(httpAddr)
	return certs.NewACME(certs.Options{
		Domain: m.cfg.Domain, Email: a.Email, CA: a.CA, CARoots: a.CARoots,
		Dir:    filepath.Join(m.cfg.DataDir, "certs"),
		Decide: certs.Decider(m.Log.DB(), m.cfg.Domain, dns != nil),
		DNS:    dns, DNSResolvers: resolvers,
		ListenHost: host, HTTPPort: httpPort, TLSPort: httpsPort,
		Logger: m.cfg.Logger,
	})
}

// splitPort is addr's host and port (0 when it has none).
func splitPort(addr string) (string, int) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0
	}
	p, _ := strconv.Atoi(port)
	return host, p
}
