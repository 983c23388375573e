package httpapi

import (
	"net/http"
	"strings"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	edgeaccess "warren/edge/access"
	"warren/projections"
)

// reservationAccessJSON is a reservation's access rules as the API shows
// them: user names only, never their password hashes.
type reservationAccessJSON struct {
	Subdomain string           `json:"subdomain"`
	BasicAuth []accessUserJSON `json:"basicAuth"`
	AllowCIDR []string         `json:"allowCidr"`
	DenyCIDR  []string         `json:"denyCidr"`
}

type accessUserJSON struct {
	User string `json:"user"`
}

func toReservationAccessJSON(sub string, r domain.AccessRules) reservationAccessJSON {
	out := reservationAccessJSON{Subdomain: sub, BasicAuth: []accessUserJSON{},
		AllowCIDR: append([]string{}, r.AllowCIDR...), DenyCIDR: append([]string{}, r.DenyCIDR...)}
	for _, c := range r.BasicAuth {
		out.BasicAuth = append(out.BasicAuth, accessUserJSON{User: c.User})
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
	rules, err := projections.View(s.db, func(tx *bolt.Tx) (domain.AccessRules, error) {
		res, ok, err := projections.Reservation(tx, sub)
		if err != nil {
			return domain.AccessRules{}, err
		}
		if !ok || res.AccountID != c.Account.ID {
			return domain.AccessRules{}, domain.Errorf(domain.CodeNotFound, "no reservation %q", sub)
		}
		return projections.ReservationAccess(tx, sub)
	})
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
		AllowCIDR []string `json:"allowCidr"`
		DenyCIDR  []string `json:"denyCidr"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	rules := domain.AccessRules{}
	if err := (domain.AccessRules{AllowCIDR: in.AllowCIDR, DenyCIDR: in.DenyCIDR,
		BasicAuth: make([]domain.AccessCredential, len(in.BasicAuth))}).CheckSize(); err != nil {
		return err // before any hash is computed
	}
	cfg := edgeaccess.Config{}
	for _, u := range in.BasicAuth {
		var cred edgeaccess.Credential
		if strings.Contains(u.User, ":") {
			// HashCredential reads "user:password" up to the first ':'.
			return domain.Errorf(domain.CodeInvalid, "a basicAuth user name may not hold ':'")
		}
		switch {
		case u.Password != nil && u.PasswordHash == nil:
			var err error
			if cred, err = edgeaccess.HashCredential(u.User + ":" + *u.Password); err != nil {
				return err
			}
		case u.PasswordHash != nil && u.Password == nil:
			cred = edgeaccess.Credential{User: u.User, Hash: *u.PasswordHash}
		default:
			return domain.Errorf(domain.CodeInvalid, "each basicAuth user needs exactly one of password and passwordHash")
		}
		cfg.BasicAuth = append(cfg.BasicAuth, cred)
		rules.BasicAuth = append(rules.BasicAuth, domain.AccessCredential{User: cred.User, Hash: cred.Hash})
	}
	for _, set := range []struct {
		in  []string
		out *[]string
	}{{in.AllowCIDR, &rules.AllowCIDR}, {in.DenyCIDR, &rules.DenyCIDR}} {
		for _, v := range set.in {
			p, err := edgeaccess.ParseCIDR(v)
			if err != nil {
				return err
			}
			*set.out = append(*set.out, p.String())
		}
	}
	// The edge builds the same rules: refuse here what it could not.
	if _, err := edgeaccess.New(cfg); err != nil {
		return err
	}
	sub := c.Params.ByName("sub")
	if _, err := s.exec(r.Context(), projections.SetReservationAccess(c.Account.ID, sub, rules)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toReservationAccessJSON(sub, rules))
}
