package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestHostRouter: the Host header alone decides between the API host (and,
// on it, the agent upgrade and /healthz) and the tunnels.
func TestHostRouter(t *testing.T) {
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) })
	}
	h := &hostRouter{
		base:    "warren.test",
		api:     apiHost(named("health"), named("ready"), named("api"), named("agent")),
		tunnels: named("tunnels"),
	}
	for _, c := range []struct{ method, host, path, want string }{
		{"GET", "warren.test", "/api/v1/me/plan", "api"},
		{"GET", "WARREN.test:8080", "/api/v1/me/plan", "api"},
		{"GET", "warren.test.", "/api/v1/me/plan", "api"},
		{"GET", "api.warren.test", "/api/v1/me/plan", "api"},
		{"GET", "127.0.0.1:8080", "/api/v1/me/plan", "api"},
		{"GET", "[::1]:8080", "/api/v1/me/plan", "api"},
		{"GET", "", "/api/v1/me/plan", "api"},
		{"GET", "warren.test", "/healthz", "health"},
		{"HEAD", "warren.test", "/healthz", "health"},
		{"POST", "warren.test", "/healthz", "api"}, // the API answers 405/404 in JSON
		{"GET", "warren.test", "/readyz", "ready"},
		{"GET", "demo.warren.test", "/readyz", "tunnels"},
		{"GET", "warren.test", "/api/v1/agent/connect", "agent"},
		{"POST", "warren.test", "/api/v1/agent/connect", "agent"}, // the edge answers with Allow
		{"GET", "demo.warren.test", "/healthz", "tunnels"},
		{"GET", "demo.warren.test", "/api/v1/agent/connect", "tunnels"},
		{"GET", "api.demo.warren.test", "/", "tunnels"},
		{"GET", "hooks.example.com", "/", "tunnels"},
		{"GET", "warren.test.evil.com", "/", "tunnels"},
	} {
		r := httptest.NewRequest(c.method, "http://x"+c.path, nil)
		r.Host = c.host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := w.Body.String(); got != c.want {
			t.Errorf("%s %s%s → %s, want %s", c.method, c.host, c.path, got, c.want)
		}
	}
}
