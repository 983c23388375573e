package server

import (
	"flag"
	"fmt"
	"net/netip"
	"strings"

	"warren/cmd/warren/internal/command"
	"warren/domain"
	"warren/edge/access"
)

// proxyList is the repeatable --trusted-proxy flag; each use may also be a
// comma-separated list.
type proxyList struct {
	vals []string
	set  bool // given on the command line: replaces the env default
}

func (p *proxyList) String() string { return strings.Join(p.vals, ",") }

func (p *proxyList) Set(s string) error {
	if !p.set {
		p.vals, p.set = nil, true
	}
	p.vals = append(p.vals, strings.Split(s, ",")...)
	return nil
}

// trustedProxyFlag adds --trusted-proxy (env WARREN_TRUSTED_PROXIES,
// comma-separated) to serve's flags; the returned func reads it once
// parsed and gives Config.TrustedProxies.
func trustedProxyFlag(e *command.Env, fs *flag.FlagSet) func() ([]netip.Prefix, error) {
	l := &proxyList{}
	if env := command.EnvDefault(e, "WARREN_TRUSTED_PROXIES", ""); env != "" {
		l.vals = strings.Split(env, ",")
	}
	fs.Var(l, "trusted-proxy", "address or CIDR prefix of a proxy in front of this server (repeatable): only for requests from one is the client address read from X-Forwarded-For, as tunnels' --allow-cidr/--deny-cidr judge it (default: none, the header is never believed; env WARREN_TRUSTED_PROXIES, comma-separated)")
	return func() ([]netip.Prefix, error) {
		var out []netip.Prefix
		for _, v := range l.vals {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			p, err := access.ParseCIDR(v)
			if err != nil {
				return nil, &command.ExitError{Code: 2, Err: fmt.Errorf("--trusted-proxy: %s", domain.ErrorMessage(err))}
			}
			out = append(out, p)
		}
		return out, nil
	}
}

// oidcInsecureFlag adds --oidc-insecure-issuers (env
// WARREN_OIDC_INSECURE_ISSUERS=true): tunnels' --oidc-issuer may then be
// plain http, for a development provider on this machine. Off by default:
// the server fetches the issuer's documents, and an agent's user should
// not make it fetch plain-http, likely internal, addresses.
func oidcInsecureFlag(e *command.Env, fs *flag.FlagSet) *bool {
	return fs.Bool("oidc-insecure-issuers", command.EnvDefault(e, "WARREN_OIDC_INSECURE_ISSUERS", "") == "true",
		"let tunnels' --oidc-issuer be plain http (a development identity provider; env WARREN_OIDC_INSECURE_ISSUERS)")
}
