package httpapi

import (
	"net/http"
	"strings"
)

// rootJSON is GET / and GET /api/v1: the API's resources and their URIs.
type rootJSON struct {
	Name      string         `json:"name"`
	Version   string         `json:"version"`
	URI       string         `json:"uri"`
	Resources []resourceJSON `json:"resources"`
}

type resourceJSON struct {
	Name string `json:"name"`
	URI  string `json:"uri"`
}

// rootResources are the listable resources (path relative to the host).
var rootResources = [][2]string{
	{"me", "/v1/me"},
	{"plan", "/api/v1/me/plan"},
	{"tunnels", "/api/v1/me/tunnels"},
	{"all_tunnels", "/v1/tunnels"},
	{"requests", "/v1/requests"},
	{"reservations", "/api/v1/me/reservations"},
	{"domains", "/v1/domains"},
	{"keys", "/v1/keys"},
	{"usage", "/v1/usage"},
	{"usage_history", "/v1/usage/history"},
	{"admin_accounts", "/api/v1/admin/accounts"},
}

func (s *Server) routesRoot() []route {
	return []route{
		{Method: http.MethodGet, Path: "/", Access: accessPublic, Handle: s.root},
		{Method: http.MethodGet, Path: "/api/v1", Access: accessPublic, Handle: s.root},
	}
}

// root answers a browser (Accept: text/html) with the dashboard and
// anything else, with a valid key, with the resources.
func (s *Server) root(w http.ResponseWriter, r *http.Request, c *call) error {
	if r.URL.Path == "/" && wantsHTML(r) {
		s.app.ServeIndex(w, r)
		return nil
	}
	if _, _, err := s.authenticate(r); err != nil {
		return err
	}
	base := s.baseURL(r)
	out := rootJSON{Name: "warren", Version: APIVersion, URI: base + r.URL.Path}
	for _, res := range rootResources {
		out.Resources = append(out.Resources, resourceJSON{Name: res[0], URI: base + res[1]})
	}
	return writeJSON(w, http.StatusOK, out)
}

// wantsHTML reports whether the client asks for HTML before anything else.
func wantsHTML(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		switch mt {
		case "text/html", "application/xhtml+xml":
			return true
		case "application/json", "*/*":
			return false
		}
	}
	return false
}
