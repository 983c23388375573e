package httpapi

import "net/http"

// routesUsage registers /v1/usage (osmRouter's shape) and /v1/usage/history
// (daily rollups).
func (s *Server) routesUsage() []route {
	return []route{
		{Method: "GET", Path: "/v1/usage", Access: accessKey, Handle: s.usageHandler},
		{Method: "GET", Path: "/v1/usage/history", Access: accessKey, Handle: s.usageHistoryHandler},
	}
}

func (s *Server) usageHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := currentUsage(s.db, c.Account.ID, s.now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

func (s *Server) usageHistoryHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	if err := checkTunnelName(q.Get("tunnel")); err != nil {
		return err
	}
	h, err := usageHistory(s.db, c.Account.ID, q.Get("from"), q.Get("to"), q.Get("tunnel"), s.now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}
