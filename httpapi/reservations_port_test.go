package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"warren/domain"
)

// TestTCPPortsCanBeReservedLikeSubdomains: POST /api/v1/me/reservations
// with a TCP port of the server's range reserves it (or any free one), up
// to the plan's reserved ports; no other account can reserve it; it is
// listed beside subdomains and released by its name, back to the pool.
func TestTCPPortsCanBeReservedLikeSubdomains(t *testing.T) {
	e := mustEnv(t, func(c *Config) { c.TCPPorts = [2]int{20000, 20009} })
	_, aKey := e.account(t, "a@example.com", domain.PlanFree, false)
	_, bKey := e.account(t, "b@example.com", domain.PlanPro, false)
	post := func(key, body string) (int, map[string]any) {
		t.Helper()
		st, _, b := e.do(t, "POST", "/api/v1/me/reservations", key, body, "Content-Type", "application/json")
		var out map[string]any
		mustJSON(t, b, &out)
		return st, out
	}

	st, r := post(aKey, `{"proto":"tcp","port":20005}`)
	if st != http.StatusCreated || r["port"] != 20005.0 || r["proto"] != "tcp" || r["name"] != "tcp:20005" || r["createdAt"] == nil {
		t.Fatalf("reserve 20005: %d %v", st, r)
	}
	if st, r := post(aKey, `{"subdomain":"a-hooks"}`); st != http.StatusCreated {
		t.Fatalf("a subdomain beside (its own quota): %d %v", st, r)
	}
	if st, r := post(aKey, `{"proto":"tcp","port":20006}`); st != http.StatusTooManyRequests || r["error"] != "quota" {
		t.Fatalf("a second port on the free plan: %d %v", st, r)
	}
	if st, r := post(bKey, `{"port":20005}`); st != http.StatusConflict {
		t.Fatalf("another account reserving a held port: %d %v", st, r)
	}
	if st, r := post(bKey, `{"proto":"tcp","port":30000}`); st != http.StatusBadRequest {
		t.Fatalf("a port outside the range: %d %v", st, r)
	}
	if st, r := post(bKey, `{"proto":"tcp"}`); st != http.StatusCreated || r["port"] != 20000.0 {
		t.Fatalf("any port: %d %v", st, r)
	}

	var list struct {
		Reservations []map[string]any
	}
	st, _, body := e.do(t, "GET", "/api/v1/me/reservations", aKey, "")
	wantStatus(t, st, 200, body)
	mustJSON(t, body, &list)
	if len(list.Reservations) != 2 || list.Reservations[0]["subdomain"] != "a-hooks" || list.Reservations[1]["port"] != 20005.0 {
		t.Fatalf("list %s", body)
	}
	if st, _, body := e.do(t, "GET", "/api/v1/me/reservations?limit=1&before_id=a-hooks", aKey, ""); st != 200 || !strings.Contains(string(body), `"tcp:20005"`) {
		t.Fatalf("page after the subdomain: %d %s", st, body)
	}

	if st, _, body := e.do(t, "DELETE", "/api/v1/me/reservations/tcp:20005", bKey, ""); st != http.StatusNotFound {
		t.Fatalf("another account releasing it: %d %s", st, body)
	}
	if st, _, body := e.do(t, "DELETE", "/api/v1/me/reservations/tcp:20005", aKey, ""); st != http.StatusNoContent {
		t.Fatalf("release: %d %s", st, body)
	}
	if st, r := post(bKey, `{"proto":"tcp","port":20005}`); st != http.StatusCreated {
		t.Fatalf("a released port back in the pool: %d %v", st, r)
	}

	t.Run("ErrNoRange", func(t *testing.T) {
		e := mustEnv(t)
		_, key := e.account(t, "c@example.com", domain.PlanPro, false)
		st, _, body := e.do(t, "POST", "/api/v1/me/reservations", key, `{"proto":"tcp","port":20000}`, "Content-Type", "application/json")
		wantError(t, st, body, http.StatusServiceUnavailable, "unavailable")
	})
}
