package edge

import (
	"net/http"
	"net/netip"

	"warren/domain"
	"warren/edge/access"
	"warren/edge/wire"
)

// errDenied is the captured error of a request an access rule refused; the
// rule itself is the capture's Denied.
const errDenied = "denied"

// maxAccessRules bounds each list an agent may send, so an open cannot make
// every public request walk thousands of prefixes or hashes.
const maxAccessRules = 64

// accessRules builds the rules an open asks for (nil: none, anyone may
// reach the tunnel), judged with the operator's trusted proxies. CodeInvalid
// for a prefix or credential that does not parse, a user listed twice, or a
// list longer than maxAccessRules.
func (s *Server) accessRules(a *wire.Access) (*access.Rules, error) {
	if a.Empty() {
		return nil, nil
	}
	if len(a.BasicAuth) > maxAccessRules || len(a.AllowCIDR) > maxAccessRules || len(a.DenyCIDR) > maxAccessRules {
		return nil, domain.Errorf(domain.CodeInvalid, "at most %d basic-auth users, allowed and denied prefixes each", maxAccessRules)
	}
	c := access.Config{TrustedProxies: s.cfg.TrustedProxies, ClientIPHeader: s.cfg.ClientIPHeader}
	for _, cr := range a.BasicAuth {
		c.BasicAuth = append(c.BasicAuth, access.Credential{User: cr.User, Hash: cr.Hash})
	}
	for _, set := range []struct {
		in  []string
		out *[]netip.Prefix
	}{{a.AllowCIDR, &c.Allow}, {a.DenyCIDR, &c.Deny}} {
		for _, v := range set.in {
			p, err := access.ParseCIDR(v)
			if err != nil {
				return nil, err
			}
			*set.out = append(*set.out, p)
		}
	}
	return access.New(c)
}

// refuseByAccess applies t's access rules to r. A refused visitor gets
// access.WriteRefusal's page (401 or 403), is captured with Denied set and
// never reaches the agent: it returns true. A request basic auth let in
// loses its Authorization header here, before it is captured or
// forwarded: it holds the tunnel's password, not anything of the app's.
func (s *Server) refuseByAccess(w http.ResponseWriter, r *http.Request, x *exchange) bool {
	rules := x.t.access
	if rules == nil {
		return false
	}
	d := rules.Check(r)
	if !d.Allowed {
		x.mu.Lock()
		x.denied = d.Reason
		x.mu.Unlock()
		x.setError(errDenied, d.Status)
		access.WriteRefusal(w, r, d, rules.Realm())
		return true
	}
	if d.UsedAuthorization {
		r.Header.Del("Authorization")
	}
	return false
}
