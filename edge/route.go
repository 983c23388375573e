package edge

import (
	"net/http"
	"strings"
)

// The entry points below let a host router outside the edge (the
// composition root, cmd/warren/internal/server) decide which host is the
// API's and which are tunnels', so listeners, TLS and other handlers plug
// in there without the edge knowing of them.

// ServeAgent serves the agent connect upgrade (GET wire.ConnectPath on the
// API host): it authenticates the key and hijacks the connection into an
// agent session that only the edge holds.
func (s *Server) ServeAgent(w http.ResponseWriter, r *http.Request) { s.serveAgent(w, r) }

// ServeTunnel serves a request for a public host that is not the API's:
// <sub>.<base> goes to that tunnel, a verified custom domain to its tunnel,
// and anything else gets a 404 page (HTML, or JSON for clients that ask).
func (s *Server) ServeTunnel(w http.ResponseWriter, r *http.Request) {
	host := HostOnly(r.Host)
	if sub, ok := strings.CutSuffix(host, "."+s.cfg.BaseDomain); ok {
		if t := s.lookupHost(sub); t != nil {
			s.serveTunnel(w, r, t)
			return
		}
		s.notFound(w, r, "Tunnel not found",
			"No tunnel is online at "+host+". Start one with `warren http PORT --subdomain "+sub+"`.")
		return
	}
	if t := s.lookupCustomDomain(host); t != nil {
		s.serveTunnel(w, r, t)
		return
	}
	s.notFound(w, r, "Unknown host",
		"Warren does not serve "+host+": it is neither a tunnel nor a verified custom domain.")
}
