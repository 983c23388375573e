package httpapi

import (
	"net/http"

	"warren/httpapi/dashboard"
)

// routesDashboard serves the web app: each page path answers index.html
// (the app draws the page, and checks the session itself through the
// API), and its files live under /assets/. All are public: they hold no
// data, and every API call the app makes is authenticated.
func (s *Server) routesDashboard() []route {
	page := func(w http.ResponseWriter, r *http.Request, c *call) error {
		s.app.ServeIndex(w, r)
		return nil
	}
	rs := []route{{Method: http.MethodGet, Path: dashboard.AssetPrefix + "*file", Access: accessPublic, UI: true,
		Handle: func(w http.ResponseWriter, r *http.Request, c *call) error {
			s.app.ServeAsset(w, r)
			return nil
		}}}
	for _, p := range dashboard.Pages {
		rs = append(rs, route{Method: http.MethodGet, Path: p, Access: accessPublic, UI: true, Handle: page})
	}
	return rs
}
