package access

import (
	"net/netip"
	"strings"

	"warren/domain"
)

// HashUser hashes user's password as a tunnel credential (HashCredential),
// refusing a user name with ':' (the basic-auth separator).
func HashUser(user, password string) (domain.AccessCredential, error) {
	if strings.Contains(user, ":") {
		return domain.AccessCredential{}, domain.Errorf(domain.CodeInvalid, "a basicAuth user name may not hold ':'")
	}
	c, err := HashCredential(user + ":" + password)
	if err != nil {
		return domain.AccessCredential{}, err
	}
	return domain.AccessCredential{User: c.User, Hash: c.Hash}, nil
}

// Normalize checks r as the edge will build it (every prefix parses, every
// hash is one this package verifies, no user twice) and returns it with
// each prefix in canonical form, so what is recorded is what is enforced.
func Normalize(r domain.AccessRules) (domain.AccessRules, error) {
	if err := r.CheckSize(); err != nil {
		return r, err
	}
	out := r
	out.AllowCIDR, out.DenyCIDR = nil, nil
	c := Config{}
	for _, cr := range r.BasicAuth {
		c.BasicAuth = append(c.BasicAuth, Credential{User: cr.User, Hash: cr.Hash})
	}
	for _, set := range []struct {
		in       []string
		out      *[]string
		prefixes *[]netip.Prefix
	}{{r.AllowCIDR, &out.AllowCIDR, &c.Allow}, {r.DenyCIDR, &out.DenyCIDR, &c.Deny}} {
		for _, v := range set.in {
			p, err := ParseCIDR(v)
			if err != nil {
				return r, err
			}
			*set.out = append(*set.out, p.String())
			*set.prefixes = append(*set.prefixes, p)
		}
	}
	if _, err := New(c); err != nil {
		return r, err
	}
	return out, nil
}
