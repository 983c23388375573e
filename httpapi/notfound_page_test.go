package httpapi

import (
	"strings"
	"testing"
)

// A person who mistypes a dashboard address (/tunnel, /setings) gets a
// small page that says so and links to the dashboard, not the API's raw
// JSON error; API paths and clients that do not ask for HTML keep the
// JSON error.
func TestMistypedDashboardAddressGetsAPageNotJSON(t *testing.T) {
	e := mustEnv(t)
	browser := []string{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}
	t.Run("Browser", func(t *testing.T) {
		st, h, b := e.do(t, "GET", "/tunnel", "", "", browser...)
		wantStatus(t, st, 404, b)
		if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(b), `href="/"`) || !strings.Contains(string(b), "/tunnel") {
			t.Fatalf("content-type %q, body %s", h.Get("Content-Type"), b)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Fatalf("Content-Security-Policy = %q", csp)
		}
	})
	t.Run("PathIsEscaped", func(t *testing.T) {
		_, _, b := e.do(t, "GET", "/%3Cscript%3Ex", "", "", browser...)
		if strings.Contains(string(b), "<script>") {
			t.Fatalf("the path reached the page unescaped: %s", b)
		}
	})
	t.Run("APIPathStaysJSON", func(t *testing.T) {
		for _, p := range []string{"/api/v1/nope", "/v1/nope"} {
			st, _, b := e.do(t, "GET", p, "", "", browser...)
			wantError(t, st, b, 404, "not_found")
		}
	})
	t.Run("ClientStaysJSON", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/tunnel", "", "")
		wantError(t, st, b, 404, "not_found")
	})
}
