package httpapi

import (
	"net/http"

	"warren/domain"
)

// plansJSON is GET /api/v1/plans: every plan the server offers, with each
// limit (null is unlimited), so people and the operator console read them
// from the server instead of copies that drift.
type plansJSON struct {
	Plans []domain.Plan `json:"plans"`
}

func (s *Server) routesPlans() []route {
	return []route{{Method: http.MethodGet, Path: "/api/v1/plans", Access: accessKey, Handle: s.listPlans}}
}

func (s *Server) listPlans(w http.ResponseWriter, r *http.Request, c *call) error {
	var out plansJSON
	for _, n := range domain.PlanNames() {
		p, err := domain.PlanByName(n)
		if err != nil {
			return err
		}
		out.Plans = append(out.Plans, p)
	}
	return writeJSON(w, http.StatusOK, out)
}
