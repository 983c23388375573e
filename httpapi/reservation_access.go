package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// reservationAccessJSON is a reservation's access rules as the API shows
// them: user names only, never their password hashes.
type reservationAccessJSON struct {
	Subdomain string           `json:"subdomain"`
	BasicAuth []accessUserJSON `json:"basicAuth"`
	AllowCIDR []string         `json:"allowCidr"`
	DenyCIDR  []string         `json:"denyCidr"`
	OIDC      *accessOIDCJSON  `json:"oidc"`
}

type accessUserJSON struct {
	User string `json:"user"`
}

// accessOIDCJSON is a reservation's login as the API shows it: the client
// secret only by its fingerprint.
type accessOIDCJSON struct {
	Issuer            string   `json:"issuer"`
	ClientID          string   `json:"clientId"`
	SecretFingerprint string   `json:"clientSecretFingerprint"`
	AllowEmail        []string `json:"allowEmail"`
}

// AccessRuleMaker turns what a person sends into the rules the edge
// enforces: edge/access's HashUser and Normalize, passed in by the
// composition root (httpapi never imports the edge).
type AccessRuleMaker interface {
	HashUser(user, password string) (domain.AccessCredential, error)
	Normalize(domain.AccessRules) (domain.AccessRules, error)
}

// SecretStore keeps secrets out of the log: edge/sealed.Store.
type SecretStore interface {
	// Put seals secret and returns its id and fingerprint.
	Put(secret string) (id, fingerprint string, err error)
	// Delete destroys the secret under id.
	Delete(id string) error
}

func toReservationAccessJSON(sub string, r domain.AccessRules) reservationAccessJSON {
	out := reservationAccessJSON{Subdomain: sub, BasicAuth: []accessUserJSON{},
		AllowCIDR: append([]string{}, r.AllowCIDR...), DenyCIDR: append([]string{}, r.DenyCIDR...)}
	for _, c := range r.BasicAuth {
		out.BasicAuth = append(out.BasicAuth, accessUserJSON{User: c.User})
	}
	if o := r.OIDC; o != nil {
		out.OIDC = &accessOIDCJSON{Issuer: o.Issuer, ClientID: o.ClientID, SecretFingerprint: o.SecretFingerprint, AllowEmail: o.AllowEmail}
	}
	return out
}

func (s *Server) routesReservationAccess() []route {
	return []route{
		{Method: http.MethodGet, Path: "/api/v1/me/reservations/:sub/access", Handle: s.getReservationAccess},
		{Method: http.MethodPut, Path: "/api/v1/me/reservations/:sub/access", Handle: s.putReservationAccess},
	}
}

// getReservationAccess is GET /api/v1/me/reservations/{sub}/access: 200, or
// 404 when the caller holds no such reservation.
func (s *Server) getReservationAccess(w http.ResponseWriter, r *http.Request, c *call) error {
	sub := c.Params.ByName("sub")
	rules, err := s.ownedReservationAccess(c.Account.ID, sub)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toReservationAccessJSON(sub, rules))
}

// putReservationAccess is PUT /api/v1/me/reservations/{sub}/access: it
// replaces the rules whole (an empty body object clears them) and records
// reservation.access_set. A user comes with a password, hashed here with
// argon2id before anything is recorded, or with the passwordHash an agent
// or an earlier export made. 200 with the rules, 400 for a bad prefix,
// user, password or hash, 404 when the caller holds no such reservation.
func (s *Server) putReservationAccess(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		BasicAuth []struct {
			User         string  `json:"user"`
			Password     *string `json:"password"`
			PasswordHash *string `json:"passwordHash"`
		} `json:"basicAuth"`
		AllowCIDR []string   `json:"allowCidr"`
		DenyCIDR  []string   `json:"denyCidr"`
		OIDC      *oidcInput `json:"oidc"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	rules := domain.AccessRules{}
	if err := (domain.AccessRules{AllowCIDR: in.AllowCIDR, DenyCIDR: in.DenyCIDR,
		BasicAuth: make([]domain.AccessCredential, len(in.BasicAuth))}).CheckSize(); err != nil {
		return err // before any hash is computed
	}
	if s.cfg.AccessRules == nil {
		return domain.Errorf(domain.CodeUnavailable, "this server cannot set access rules")
	}
	for _, u := range in.BasicAuth {
		var cred domain.AccessCredential
		switch {
		case u.Password != nil && u.PasswordHash == nil:
			var err error
			if cred, err = s.cfg.AccessRules.HashUser(u.User, *u.Password); err != nil {
				return err
			}
		case u.PasswordHash != nil && u.Password == nil:
			if strings.Contains(u.User, ":") {
				return domain.Errorf(domain.CodeInvalid, "a basicAuth user name may not hold ':'")
			}
			cred = domain.AccessCredential{User: u.User, Hash: *u.PasswordHash}
		default:
			return domain.Errorf(domain.CodeInvalid, "each basicAuth user needs exactly one of password and passwordHash")
		}
		rules.BasicAuth = append(rules.BasicAuth, cred)
	}
	rules.AllowCIDR, rules.DenyCIDR = in.AllowCIDR, in.DenyCIDR
	// The edge builds the same rules: refuse here what it could not.
	rules, err := s.cfg.AccessRules.Normalize(rules)
	if err != nil {
		return err
	}
	sub := c.Params.ByName("sub")
	before, err := s.ownedReservationAccess(c.Account.ID, sub)
	if err != nil {
		return err
	}
	if in.OIDC != nil {
		if rules.OIDC, err = s.sealOIDC(*in.OIDC); err != nil {
			return err
		}
	}
	if _, err := s.exec(r.Context(), projections.SetReservationAccess(c.Account.ID, sub, rules)); err != nil {
		s.dropSecret(rules.OIDC) // not recorded: nothing refers to it
		return err
	}
	if before.OIDC != nil {
		s.dropSecret(before.OIDC) // replaced or cleared: destroyed
	}
	return writeJSON(w, http.StatusOK, toReservationAccessJSON(sub, rules))
}

// ownedReservationAccess reads the rules of one of the account's
// reservations (CodeNotFound when it holds no such reservation).
func (s *Server) ownedReservationAccess(accountID, sub string) (domain.AccessRules, error) {
	return projections.View(s.db, func(tx *bolt.Tx) (domain.AccessRules, error) {
		res, ok, err := projections.Reservation(tx, sub)
		if err != nil {
			return domain.AccessRules{}, err
		}
		if !ok || res.AccountID != accountID {
			return domain.AccessRules{}, domain.Errorf(domain.CodeNotFound, "no reservation %q", sub)
		}
		return projections.ReservationAccess(tx, sub)
	})
}

// oidcInput is a reservation's login as a PUT gives it.
type oidcInput struct {
	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret"`
	AllowEmail   []string `json:"allowEmail"`
}

// sealOIDC checks a login and seals its client secret: the rules keep
// only its id and fingerprint. CodeInvalid for a missing field, an issuer
// that is not an http(s) URL, or an email rule that is not user@domain or
// @domain; CodeUnavailable without a sealed store. The issuer itself is
// discovered by the edge when a tunnel opens on the name (it must be
// https unless the operator allows plain http).
func (s *Server) sealOIDC(in oidcInput) (*domain.AccessOIDC, error) {
	u, err := url.Parse(in.Issuer)
	if err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" {
		return nil, domain.Errorf(domain.CodeInvalid, "oidc.issuer must be an https:// URL")
	}
	if in.ClientID == "" || in.ClientSecret == "" || len(in.AllowEmail) == 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "oidc needs issuer, clientId, clientSecret and allowEmail")
	}
	if len(in.AllowEmail) > domain.MaxAccessRules {
		return nil, domain.Errorf(domain.CodeInvalid, "at most %d oidc.allowEmail rules", domain.MaxAccessRules)
	}
	emails := make([]string, 0, len(in.AllowEmail))
	for _, e := range in.AllowEmail {
		e = strings.ToLower(strings.TrimSpace(e))
		at := strings.LastIndexByte(e, '@')
		if at < 0 || at == len(e)-1 || strings.ContainsAny(e, " ,\"<>") {
			return nil, domain.Errorf(domain.CodeInvalid, "oidc.allowEmail %q is neither user@domain nor @domain", e)
		}
		emails = append(emails, e)
	}
	if s.cfg.Secrets == nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "this server has no sealed store for OIDC client secrets")
	}
	id, fp, err := s.cfg.Secrets.Put(in.ClientSecret)
	if err != nil {
		return nil, err
	}
	return &domain.AccessOIDC{Issuer: in.Issuer, ClientID: in.ClientID, SecretID: id, SecretFingerprint: fp, AllowEmail: emails}, nil
}

// dropSecret destroys a login's sealed client secret, logging a failure
// (the secret then stays sealed, referred to by nothing).
func (s *Server) dropSecret(o *domain.AccessOIDC) {
	if o == nil || s.cfg.Secrets == nil {
		return
	}
	if err := s.cfg.Secrets.Delete(o.SecretID); err != nil {
		s.logger.Error("destroying a sealed OIDC client secret", "secret", o.SecretID, "err", err)
	}
}
