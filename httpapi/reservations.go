package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

// reservationJSON is a reservation as the API shows it: lrok's
// {subdomain, createdAt} for a subdomain; {proto: "tcp", port, name,
// createdAt} for a TCP port, where name ("tcp:PORT") is its before_id and
// its DELETE path.
type reservationJSON struct {
	Subdomain string    `json:"subdomain,omitempty"`
	Proto     string    `json:"proto,omitempty"`
	Port      int       `json:"port,omitempty"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

func toReservationJSON(r domain.Reservation) reservationJSON {
	if r.Port != 0 {
		return reservationJSON{Proto: domain.ProtoTCP, Port: r.Port, Name: projections.TCPHost(r.Port), CreatedAt: r.CreatedAt.UTC()}
	}
	return reservationJSON{Subdomain: r.Subdomain, CreatedAt: r.CreatedAt.UTC()}
}

// reservationName is a reservation's name in lists and paths.
func reservationName(r domain.Reservation) string {
	if r.Port != 0 {
		return projections.TCPHost(r.Port)
	}
	return r.Subdomain
}

// portName parses "tcp:PORT" (ok=false for a subdomain).
func portName(name string) (int, bool) {
	p, ok := strings.CutPrefix(name, "tcp:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(p)
	return n, err == nil && n > 0 && n <= 65535
}

func (s *Server) routesReservations() []route {
	return []route{
		{Method: http.MethodGet, Path: "/api/v1/me/reservations", Handle: s.listReservations},
		{Method: http.MethodPost, Path: "/api/v1/me/reservations", Handle: s.createReservation},
		{Method: http.MethodDelete, Path: "/api/v1/me/reservations/:sub", Handle: s.releaseReservation},
	}
}

// listReservations is GET /api/v1/me/reservations, subdomains and TCP
// ports; before_id is a subdomain or "tcp:PORT".
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
		last = reservationName(res)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reservations": out, "next_page_uri": s.nextPageURI(r, p, more, last)})
}

// createReservation is POST /api/v1/me/reservations {"subdomain":"…"}, or
// {"proto":"tcp","port":N} for a TCP port of the server's range (no port:
// any free one): 201, 400 for a bad name or a port outside the range, 409
// when anyone holds it (or another account's tunnel is on the port), 429
// past the plan, 503 when the server has no TCP range or no port left.
func (s *Server) createReservation(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Subdomain *string `json:"subdomain"`
		Proto     string  `json:"proto"`
		Port      *int    `json:"port"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	if in.Port != nil || in.Proto == domain.ProtoTCP {
		return s.createPortReservation(w, r, c, in.Subdomain != nil, in.Proto, in.Port)
	}
	if in.Proto != "" && in.Proto != domain.ProtoHTTP {
		return domain.Errorf(domain.CodeInvalid, "proto %q: use http (a subdomain) or tcp (a port)", in.Proto)
	}
	if in.Subdomain == nil {
		return domain.Errorf(domain.CodeInvalid, "field \"subdomain\" is required (or \"proto\":\"tcp\" for a TCP port)")
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

// createPortReservation is createReservation for a TCP port.
func (s *Server) createPortReservation(w http.ResponseWriter, r *http.Request, c *call, withSub bool, proto string, port *int) error {
	if withSub || proto != "" && proto != domain.ProtoTCP {
		return domain.Errorf(domain.CodeInvalid, "a port is reserved with \"proto\":\"tcp\" and no subdomain")
	}
	want := 0
	if port != nil {
		if want = *port; want <= 0 {
			return domain.Errorf(domain.CodeInvalid, "port %d is not a port", want)
		}
	}
	lo, hi := s.cfg.TCPPorts[0], s.cfg.TCPPorts[1]
	evs, err := s.exec(r.Context(), projections.ReservePort(c.Account.ID, want, lo, hi))
	if err != nil {
		return err
	}
	res := reservationJSON{Proto: domain.ProtoTCP, Port: want, CreatedAt: s.now().UTC()}
	if len(evs) > 0 {
		var d events.ReservationData
		if err := evs[0].DecodeData(&d); err != nil {
			return err
		}
		res.Port, res.CreatedAt = d.Port, evs[0].At.UTC()
	}
	res.Name = projections.TCPHost(res.Port)
	return writeJSON(w, http.StatusCreated, res)
}

// releaseReservation is DELETE /api/v1/me/reservations/{sub}, {sub} a
// subdomain or "tcp:PORT": 204, or 404 when the caller holds no such
// reservation (whoever else may). A released port returns to the pool.
func (s *Server) releaseReservation(w http.ResponseWriter, r *http.Request, c *call) error {
	name := c.Params.ByName("sub")
	cmd := projections.Release(c.Account.ID, name)
	if port, ok := portName(name); ok {
		cmd = projections.ReleasePort(c.Account.ID, port)
	}
	rules, _ := s.ownedReservationAccess(c.Account.ID, name) // reservation_access.go
	hooks := s.reservationWebhookIDs(c.Account.ID, name)     // webhooks.go
	if _, err := s.exec(r.Context(), cmd); err != nil {
		return err
	}
	s.dropSecret(rules.OIDC) // the release dropped its rules: destroy the login's sealed secret
	// Its webhook verifiers go with it, and their sealed secrets are
	// destroyed: nobody could remove them once the name is released.
	for _, id := range hooks {
		if err := s.cfg.Webhooks.RemoveReservationWebhook(r.Context(), c.Account.ID, name, id); err != nil {
			s.logger.Error("removing a released reservation's webhook verifier", "subdomain", name, "id", id, "err", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
