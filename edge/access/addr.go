package access

import (
	"net/http"
	"net/netip"
	"strings"

	"warren/domain"
)

// ParseCIDR reads an --allow-cidr or --deny-cidr value: a prefix
// ("10.0.0.0/8", "2001:db8::/32") or a single address ("192.0.2.7",
// "2001:db8::1"). Host bits are cleared and IPv4-mapped IPv6 prefixes are
// written as IPv4, so a rule matches however the address arrives.
// CodeInvalid otherwise.
func ParseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil || a.Zone() != "" {
			return netip.Prefix{}, domain.Errorf(domain.CodeInvalid, "%q is not an IP address or CIDR prefix", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	return normalPrefix(p), nil
}

// normalPrefix masks p and turns an IPv4-mapped prefix (::ffff:a.b.c.d/n,
// n >= 96) into its IPv4 form.
func normalPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

// anyContains reports whether a is in one of ps.
func anyContains(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHostAddr reads "addr", "addr:port" or "[v6]:port" into an address
// without zone, IPv4-mapped addresses unmapped.
func parseHostAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// clientAddr is the address a request comes from. It is RemoteAddr, unless
// RemoteAddr is one of the trusted proxies: then the header (a list, as
// X-Forwarded-For is, each proxy appending) is read from the right,
// skipping trusted proxies, and the first address that is not one is the
// client. Entries to its left were written by the client and are never
// believed. An unreadable entry makes the address unknown (false), so
// rules fail closed.
func clientAddr(r *http.Request, trusted []netip.Prefix, header string) (netip.Addr, bool) {
	remote, ok := parseHostAddr(r.RemoteAddr)
	if !ok || len(trusted) == 0 || !anyContains(trusted, remote) {
		return remote, ok
	}
	var hops []string
	for _, v := range r.Header.Values(header) {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := remote
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHostAddr(hops[i])
		if !ok {
			return netip.Addr{}, false
		}
		client = a
		if !anyContains(trusted, a) {
			break
		}
	}
	return client, true
}
