package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"warren/domain"
)

// NewDNSResolver returns the resolver domain checks use: the system's when
// addr is "", else Go's resolver sending every query to addr (host:port, as
// given by `--dns-resolver`), over UDP and over TCP when an answer is
// truncated. It fails with CodeInvalid for an addr that is not host:port.
func NewDNSResolver(addr string) (*net.Resolver, error) {
	if addr == "" {
		return net.DefaultResolver, nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, domain.Errorf(domain.CodeInvalid, "DNS resolver %q is not host:port", addr)
	}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}, nil
}

// dnsCheckTimeout bounds one verification so a dead resolver answers the API
// call with a failed check rather than hanging it.
const dnsCheckTimeout = 5 * time.Second

// checkTXT looks up the TXT records of d's challenge name and reports
// whether one of them is d's token; reason says why not, for people. Only
// the lookup's own failures are reasons: a cancelled ctx is an error.
func checkTXT(ctx context.Context, r *net.Resolver, d domain.CustomDomain) (ok bool, reason string, err error) {
	ctx, cancel := context.WithTimeout(ctx, dnsCheckTimeout)
	defer cancel()
	name := d.ChallengeName()
	// The trailing dot makes the name absolute, so no search domain is tried.
	txts, lerr := r.LookupTXT(ctx, name+".")
	if lerr != nil {
		if errors.Is(lerr, context.Canceled) {
			return false, "", lerr
		}
		var dnsErr *net.DNSError
		switch {
		case errors.As(lerr, &dnsErr) && dnsErr.IsNotFound:
			return false, fmt.Sprintf("no TXT record found at %s", name), nil
		case errors.As(lerr, &dnsErr) && dnsErr.IsTimeout:
			return false, fmt.Sprintf("DNS lookup of %s timed out", name), nil
		}
		return false, fmt.Sprintf("DNS lookup of %s failed: %v", name, lerr), nil
	}
	for _, t := range txts {
		if strings.TrimSpace(t) == d.Token {
			return true, "", nil
		}
	}
	if len(txts) == 0 {
		return false, fmt.Sprintf("no TXT record found at %s", name), nil
	}
	return false, fmt.Sprintf("the TXT records at %s do not hold the token %q (found %q)", name, d.Token, shorten(txts, 3)), nil
}

func shorten(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(xs[:n:n], fmt.Sprintf("… %d more", len(xs)-n))
}
