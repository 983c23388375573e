package httpapi

import (
	"net/http"

	bolt "go.etcd.io/bbolt"

	"warren/projections"
)

// meJSON is GET /v1/me, osmRouter's shape.
type meJSON struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Plan  string `json:"plan"`
	// Operator is Warren's addition: the dashboard shows the operator
	// console only to operator accounts (the routes check it again).
	Operator bool `json:"operator"`
}

// planJSON is GET /api/v1/me/plan, lrok's shape; a null limit is unlimited.
type planJSON struct {
	Plan    string `json:"plan"`
	Tunnels struct {
		Limit  *int64 `json:"limit"`
		Active int64  `json:"active"`
	} `json:"tunnels"`
	Reservations struct {
		Limit *int64 `json:"limit"`
		Used  int64  `json:"used"`
	} `json:"reservations"`
	// ReservedPorts is Warren's addition: the TCP ports of the server's
	// range the account reserved, a quota of its own beside subdomains.
	ReservedPorts struct {
		Limit *int64 `json:"limit"`
		Used  int64  `json:"used"`
	} `json:"reservedPorts"`
}

func (s *Server) routesAccount() []route {
	return []route{
		{Method: http.MethodGet, Path: "/v1/me", Handle: s.me},
		{Method: http.MethodGet, Path: "/api/v1/me/plan", Handle: s.plan},
	}
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, c *call) error {
	a := c.Account
	return writeJSON(w, http.StatusOK, meJSON{ID: a.ID, Email: a.Email, Name: a.Name, Plan: a.Plan, Operator: a.Operator})
}

func (s *Server) plan(w http.ResponseWriter, r *http.Request, c *call) error {
	var u projections.UsageNow
	if err := s.view(func(tx *bolt.Tx) error {
		var err error
		u, err = projections.Usage(tx, c.Account.ID, s.now())
		return err
	}); err != nil {
		return err
	}
	var out planJSON
	out.Plan = u.Plan.Name
	out.Tunnels.Limit, out.Tunnels.Active = u.Plan.Limits.Tunnels, u.Tunnels
	out.Reservations.Limit, out.Reservations.Used = u.Plan.Limits.Reservations, u.Reservations
	out.ReservedPorts.Limit, out.ReservedPorts.Used = u.Plan.Limits.ReservedPorts, u.ReservedPorts
	return writeJSON(w, http.StatusOK, out)
}
