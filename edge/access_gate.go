package edge

import (
	"net/http"
	"net/netip"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge/access"
	"warren/edge/sso"
	"warren/edge/wire"
	"warren/events"
	"warren/projections"
)

// errDenied is the captured error of a request an access rule refused; the
// rule itself is the capture's Denied.
const errDenied = "denied"

// denyAll stands for rules that could not be built: a tunnel whose rules
// are broken is closed to everyone rather than open to everyone.
var denyAll = access.Config{Deny: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}

// agentAccess reads the rules an open asks for. CodeInvalid past
// domain.MaxAccessRules.
func agentAccess(a *wire.Access) (domain.AccessRules, error) {
	if a.Empty() {
		return domain.AccessRules{}, nil
	}
	r := domain.AccessRules{AllowCIDR: a.AllowCIDR, DenyCIDR: a.DenyCIDR}
	for _, c := range a.BasicAuth {
		r.BasicAuth = append(r.BasicAuth, domain.AccessCredential{User: c.User, Hash: c.Hash})
	}
	return r, r.CheckSize()
}

// accessRules builds r (nil: no rule, anyone may reach the tunnel), judged
// with the operator's trusted proxies. CodeInvalid for a prefix or
// credential that does not parse, or a user listed twice.
func (s *Server) accessRules(r domain.AccessRules) (*access.Rules, error) {
	if r.Empty() {
		return nil, nil
	}
	if err := r.CheckSize(); err != nil {
		return nil, err
	}
	c := access.Config{TrustedProxies: s.cfg.TrustedProxies, ClientIPHeader: s.cfg.ClientIPHeader}
	for _, cr := range r.BasicAuth {
		c.BasicAuth = append(c.BasicAuth, access.Credential{User: cr.User, Hash: cr.Hash})
	}
	for _, set := range []struct {
		in  []string
		out *[]netip.Prefix
	}{{r.AllowCIDR, &c.Allow}, {r.DenyCIDR, &c.Deny}} {
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

// reservationAccess is the rules of the account's reservation of sub (zero
// when sub is not reserved by it).
func (s *Server) reservationAccess(accountID, sub string) (domain.AccessRules, error) {
	if sub == "" {
		return domain.AccessRules{}, nil
	}
	return projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) (domain.AccessRules, error) {
		res, ok, err := projections.Reservation(tx, sub)
		if err != nil || !ok || res.AccountID != accountID {
			return domain.AccessRules{}, err
		}
		return projections.ReservationAccess(tx, sub)
	})
}

// refreshAccess sets t's rules to its reservation's merged with its
// agent's flags (domain.MergeAccess), as the projections hold them now. It
// runs when the tunnel opens and when its reservation's rules change or it
// is released. Rules that cannot be built close the tunnel to everyone.
func (s *Server) refreshAccess(t *tunnel) {
	t.accessMu.Lock()
	defer t.accessMu.Unlock()
	res, err := s.reservationAccess(t.info.AccountID, t.info.Subdomain)
	var rules *access.Rules
	var gate *sso.Gate
	if err == nil {
		rules, err = s.accessRules(domain.MergeAccess(res, t.agentAccess))
	}
	if err == nil && t.oidc == nil {
		gate, err = s.reservationGate(res.OIDC) // access_oidc.go
	}
	if err != nil {
		s.cfg.Logger.Error("access rules cannot be built: refusing every visitor", "tunnel", t.name, "err", err)
		gate = nil
		rules, _ = access.New(denyAll)
	}
	t.access.Store(rules)
	t.resOIDC.Store(gate)
}

// refreshAccessOf refreshes the live tunnel on sub, if any.
func (s *Server) refreshAccessOf(sub string) {
	s.mu.RLock()
	t := s.byHost[sub]
	s.mu.RUnlock()
	if t != nil && !t.gone() {
		s.refreshAccess(t)
	}
}

// refuseByAccess applies t's access rules to r. A refused visitor gets
// access.WriteRefusal's page (401 or 403), is captured with Denied set and
// never reaches the agent: it returns true. A request basic auth let in
// loses its Authorization header here, before it is captured or
// forwarded: it holds the tunnel's password, not anything of the app's.
func (s *Server) refuseByAccess(w http.ResponseWriter, r *http.Request, x *exchange) bool {
	rules := x.t.access.Load()
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

// withTunnelAccess appends, beside the tunnel.opened cmd decides, a
// tunnel.access_set recording the rules the agent's flags asked for
// (hashes, prefixes, the login without its client secret), in the same
// transaction: a tunnel never opens with rules the log does not show.
func withTunnelAccess(cmd events.Command, a domain.AccessRules, w *wire.Access) events.Command {
	var o *wire.OIDC
	if w != nil {
		o = w.OIDC
	}
	if a.Empty() && o == nil {
		return cmd
	}
	return func(tx *events.Tx) ([]events.Draft, error) {
		ds, err := cmd(tx)
		if err != nil {
			return ds, err
		}
		for _, d := range ds {
			opened, ok := d.Data.(events.TunnelOpenedData)
			if d.Type != events.TunnelOpened || !ok {
				continue
			}
			p := events.TunnelAccessSetData{TunnelID: opened.TunnelID, AllowCIDR: a.AllowCIDR, DenyCIDR: a.DenyCIDR}
			for _, c := range a.BasicAuth {
				p.BasicAuth = append(p.BasicAuth, events.AccessCredentialV1{User: c.User, Hash: c.Hash})
			}
			if o != nil {
				p.OIDC = &events.TunnelOIDCV1{Issuer: o.Issuer, ClientID: o.ClientID, AllowEmail: o.AllowEmail}
			}
			return append(ds, events.Draft{Type: events.TunnelAccessSet, Account: d.Account, Data: p}), nil
		}
		return ds, nil
	}
}
