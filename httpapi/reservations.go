package httpapi

import (
	"net/http"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// reservationJSON is a reservation as the API shows it.
type reservationJSON struct {
	Subdomain string    `json:"subdomain"`
	CreatedAt time.Time `json:"createdAt"`
}

func toReservationJSON(r domain.Reservation) reservationJSON {
	return reservationJSON{Subdomain: r.Subdomain, CreatedAt: r.CreatedAt.UTC()}
}

func (s *Server) routesReservations() []route {
	return []route{
		{Method: http.MethodGet, Path: "/api/v1/me/reservations", Handle: s.listReservations},
		{Method: http.MethodPost, Path: "/api/v1/me/reservations", Handle: s.createReservation},
		{Method: http.MethodDelete, Path: "/api/v1/me/reservations/:sub", Handle: s.releaseReservation},
	}
}

// listReservations is GET /api/v1/me/reservations; before_id is a subdomain.
func (s *Server) listReservations(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	var rs []domain.Reservation
	if err := s.view(func(tx *bolt.Tx) error {
		rs, err = projections.Reservations(tx, c.Account.ID, p.Before, p.fetch())
		return err
	}); err != nil {
		return err
	}
	rs, more := cutPage(rs, p)
	out := make([]reservationJSON, 0, len(rs))
	last := ""
	for _, res := range rs {
		out = append(out, toReservationJSON(res))
		last = res.Subdomain
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reservations": out, "next_page_uri": s.nextPageURI(r, p, more, last)})
}

// createReservation is POST /api/v1/me/reservations {"subdomain":"…"}:
// 201, 400 for a bad name, 409 when anyone holds it, 429 past the plan.
func (s *Server) createReservation(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Subdomain *string `json:"subdomain"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	if in.Subdomain == nil {
		return domain.Errorf(domain.CodeInvalid, "field \"subdomain\" is required")
	}
	evs, err := s.exec(r.Context(), projections.Reserve(c.Account.ID, *in.Subdomain))
	if err != nil {
		return err
	}
	res := reservationJSON{Subdomain: *in.Subdomain, CreatedAt: s.now().UTC()}
	if len(evs) > 0 {
		res.CreatedAt = evs[0].At.UTC()
	}
	return writeJSON(w, http.StatusCreated, res)
}

// releaseReservation is DELETE /api/v1/me/reservations/{sub}: 204, or 404
// when the caller holds no such reservation (whoever else may).
func (s *Server) releaseReservation(w http.ResponseWriter, r *http.Request, c *call) error {
	rules, _ := s.ownedReservationAccess(c.Account.ID, c.Params.ByName("sub")) // reservation_access.go
	if _, err := s.exec(r.Context(), projections.Release(c.Account.ID, c.Params.ByName("sub"))); err != nil {
		return err
	}
	s.dropSecret(rules.OIDC) // the release dropped its rules: destroy the login's sealed secret
	w.WriteHeader(http.StatusNoContent)
	return nil
}
