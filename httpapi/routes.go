package httpapi

import (
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"warren/domain"
)

// access is who may call a route.
type access int

const (
	accessKey      access = iota // any valid, unrevoked API key
	accessOperator               // a key of an operator account
	accessPublic                 // no key checked by the router (the handler may)
)

// route is one entry of the registration table. Handlers return an error
// instead of writing one, so every error goes through writeError's table.
type route struct {
	Method string
	Path   string // httprouter syntax: /v1/tunnels/:id; what Routes() and docs/openapi.yaml list
	// Mount, when set, is registered instead of Path: Path with its static
	// last segment turned into a wildcard (…/requests/stream on
	// …/requests/:id), because httprouter cannot hold a static segment where
	// a sibling route has a wildcard (…/requests/:id/export). The mount
	// answers only the static value, so clients see the routes of Path.
	// Several routes may mount on one wildcard, beside a route whose Path is
	// that wildcard, which answers every other value.
	Mount  string
	Access access
	Handle func(w http.ResponseWriter, r *http.Request, c *call) error
	// UI marks the dashboard's pages and files: served to browsers, not
	// part of the JSON API (docs/openapi.yaml leaves them out).
	UI bool
}

// call is what a handler knows about the request beyond *http.Request.
type call struct {
	Account domain.Account  // the authenticated account (zero for accessPublic)
	Key     domain.APIKey   // the key that authenticated (zero for a session)
	Session *domain.Session // the session cookie that authenticated (nil for a key)
	Params  httprouter.Params
}

// routes is the registration table: one method per resource, each in its own file.
func (s *Server) routes() []route {
	var rs []route
	for _, group := range [][]route{
		s.routesRoot(),
		s.routesAccount(),
		s.routesTunnels(),
		s.routesRequests(),
		s.routesReplay(), // replay.go: replay through the edge, one-request export
		s.routesReservations(),
		s.routesWebhooks(),          // webhooks.go: a reservation's webhook verifiers
		s.routesReservationAccess(), // reservation_access.go: who may reach a reservation's tunnels
		s.routesAdmin(),
		s.routesKeys(),    // keys.go (api-client)
		s.routesDomains(), // domains.go (api-client)
		s.routesUsage(),   // usage.go (api-client)
		s.routesStatements(),
		s.routesAudit(),     // audit.go (audit): events, checkpoint, backup, export
		s.routesPasswords(), // passwords.go: operator-set passwords, set-password links
		s.routesSessions(),  // session.go: sign-in, sign-out, your sessions
		s.routesDevice(),    // device.go: warren login through the browser (RFC 8628)
		s.routesDashboard(), // dashboard.go: the web app's pages and files
		s.routesPlans(),     // plans.go: the plans and their limits
	} {
		rs = append(rs, group...)
	}
	return rs
}

func (s *Server) buildRouter(rs []route) *httprouter.Router {
	r := httprouter.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	r.NotFound = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if notFoundPage(w, req) { // notfound_page.go: a browser's mistyped address
			return
		}
		s.writeError(w, req, domain.Errorf(domain.CodeNotFound, "no such route: %s %s", req.Method, req.URL.Path))
	})
	// httprouter sets Allow before calling this.
	r.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, errorJSON{Error: "method_not_allowed",
			Message: req.Method + " is not allowed here; allowed: " + w.Header().Get("Allow")})
	})
	r.PanicHandler = func(w http.ResponseWriter, req *http.Request, v any) {
		s.logger.Error("httpapi: panic", "method", req.Method, "path", req.URL.Path, "panic", v)
		writeJSON(w, http.StatusInternalServerError, errorJSON{Error: string(domain.CodeInternal), Message: "internal error"})
	}
	// Each method and path is registered once: a wildcard route, or the
	// router's 404, answers what none of the routes mounted on it take.
	type pattern struct{ method, path string }
	var order []pattern
	handles := map[pattern]httprouter.Handle{}
	notFound := func(w http.ResponseWriter, req *http.Request, _ httprouter.Params) { r.NotFound.ServeHTTP(w, req) }
	for _, rt := range rs {
		if rt.Mount == "" {
			p := pattern{rt.Method, rt.Path}
			order, handles[p] = append(order, p), s.wrap(rt)
		}
	}
	for _, rt := range rs {
		if rt.Mount != "" {
			p := pattern{rt.Method, rt.Mount}
			next, ok := handles[p]
			if !ok {
				order, next = append(order, p), notFound
			}
			handles[p] = mounted(rt, s.wrap(rt), next)
		}
	}
	for _, p := range order {
		r.Handle(p.method, p.path, handles[p])
	}
	return r
}

// mounted serves rt's static last segment on its wildcard Mount and sends
// any other value to next: the wildcard's own route or the router's 404,
// before authentication, as the router would.
// A Mount that does not end in the wildcard matching Path's last segment is
// a programming error: it panics at start, like httprouter's own conflicts.
func mounted(rt route, h, next httprouter.Handle) httprouter.Handle {
	pi, mi := strings.LastIndexByte(rt.Path, '/'), strings.LastIndexByte(rt.Mount, '/')
	static, param := rt.Path[pi+1:], rt.Mount[mi+1:]
	if rt.Path[:pi] != rt.Mount[:mi] || !strings.HasPrefix(param, ":") || static == "" || strings.ContainsAny(static, ":*") {
		panic("httpapi: route " + rt.Path + " cannot mount on " + rt.Mount)
	}
	param = param[1:]
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		if ps.ByName(param) != static {
			next(w, r, ps)
			return
		}
		h(w, r, ps)
	}
}

// wrap authenticates per the route's access and runs its handler.
func (s *Server) wrap(rt route) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		c := &call{Params: ps}
		if rt.Access != accessPublic {
			acc, key, sess, err := s.authenticateCall(r)
			if err == nil && rt.Access == accessOperator && !acc.Operator {
				err = domain.Errorf(domain.CodeForbidden, "this route is for operator accounts")
			}
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			c.Account, c.Key, c.Session = acc, key, sess
		}
		if err := rt.Handle(w, r, c); err != nil {
			s.writeError(w, r, err)
		}
	}
}
