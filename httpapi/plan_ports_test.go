package httpapi

import (
	"net/http"
	"testing"

	"warren/domain"
)

// TestPlanShowsReservedPorts: /api/v1/me/plan showed the reservations
// limit and use for subdomains only, so a client could not tell how many
// TCP ports its plan lets it reserve (free 1, pro 20) before a 429. It
// shows reservedPorts {limit, used} beside reservations.
func TestPlanShowsReservedPorts(t *testing.T) {
	e := mustEnv(t, func(c *Config) { c.TCPPorts = [2]int{20000, 20009} })
	_, key := e.account(t, "a@example.com", domain.PlanFree, false)
	for _, body := range []string{`{"proto":"tcp","port":20003}`, `{"subdomain":"a-db"}`} {
		if st, _, b := e.do(t, "POST", "/api/v1/me/reservations", key, body, "Content-Type", "application/json"); st != http.StatusCreated {
			t.Fatalf("reserve %s: %d %s", body, st, b)
		}
	}
	st, _, b := e.do(t, "GET", "/api/v1/me/plan", key, "")
	wantStatus(t, st, 200, b)
	want := `{"plan":"free","reservations":{"limit":1,"used":1},"reservedPorts":{"limit":1,"used":1},"tunnels":{"active":0,"limit":10}}`
	if got := canon(t, b); got != want {
		t.Fatalf("plan = %s, want %s", got, want)
	}
}
