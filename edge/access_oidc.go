package edge

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"warren/domain"
	"warren/edge/sso"
	"warren/edge/wire"
)

// oidcDiscovery bounds the issuer's discovery when a tunnel opens.
const oidcDiscovery = 10 * time.Second

// oidcGate builds the login an open asks for (nil: none). It runs the
// issuer's discovery, so a wrong issuer refuses the open at once.
// CodeInvalid for a plain-http issuer (unless Config.OIDCInsecureIssuers),
// a missing field or email rule, or an issuer that cannot be discovered.
func (s *Server) oidcGate(a *wire.Access) (*sso.Gate, error) {
	if a == nil || a.OIDC == nil {
		return nil, nil
	}
	return s.newGate(*a.OIDC)
}

// reservationGate builds the login of a reservation, its client secret
// read from the sealed store (Config.Secrets). nil when it has none.
func (s *Server) reservationGate(o *domain.AccessOIDC) (*sso.Gate, error) {
	if o == nil {
		return nil, nil
	}
	if s.cfg.Secrets == nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "no sealed store holds the reservation's OIDC client secret")
	}
	secret, err := s.cfg.Secrets.Get(o.SecretID)
	if err != nil {
		return nil, err
	}
	return s.newGate(wire.OIDC{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret, AllowEmail: o.AllowEmail})
}

func (s *Server) newGate(o wire.OIDC) (*sso.Gate, error) {
	u, err := url.Parse(o.Issuer)
	if err != nil || u.Host == "" || u.Scheme != "https" && !(u.Scheme == "http" && s.cfg.OIDCInsecureIssuers) {
		return nil, domain.Errorf(domain.CodeInvalid, "--oidc-issuer must be an https:// URL")
	}
	if len(o.AllowEmail) > domain.MaxAccessRules {
		return nil, domain.Errorf(domain.CodeInvalid, "at most %d --allow-email rules", domain.MaxAccessRules)
	}
	ctx, cancel := context.WithTimeout(s.ctx, oidcDiscovery)
	defer cancel()
	return sso.New(ctx, sso.Config{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		AllowEmails: append([]string(nil), o.AllowEmail...), Key: s.cfg.OIDCKey, HTTPClient: s.cfg.OIDCClient, Now: s.cfg.Now})
}

// refuseByOIDC runs x's tunnel's login, if it has one: a visitor without a
// session is sent to the issuer (or refused) and captured as denied
// "oidc"; the callback that completes a login is answered here too, and
// neither reaches the agent. It returns true when it answered.
func (s *Server) refuseByOIDC(w http.ResponseWriter, r *http.Request, x *exchange) bool {
	g := x.t.oidc // the agent's own login wins over its reservation's
	if g == nil {
		g = x.t.resOIDC.Load()
	}
	if g == nil {
		return false
	}
	res := g.Check(w, r, forwardedProto(r, s.cfg.Scheme))
	switch {
	case res.Allowed:
		return false
	case res.LoggedIn:
		x.setError("oidc_login", res.Status)
	default:
		x.mu.Lock()
		x.denied = domain.DeniedOIDC
		x.mu.Unlock()
		x.setError(errDenied, res.Status)
		if res.Status != http.StatusFound { // not the plain redirect to sign in
			s.cfg.Logger.Info("tunnel login refused", "tunnel", x.t.name, "reason", res.Reason)
		}
	}
	return true
}
