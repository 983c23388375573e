package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

// TestSessionCookieOnlyOnAPIHost: through the real binary's host router,
// sign-in on the API host sets the host-only __Host- cookie, while the
// same request on a tunnel host (<sub>.<base>) goes to the edge and can
// never set it: the API is not reachable there. The cookie has no Domain,
// so browsers never send it to a tunnel host either (docs/operations.md).
func TestSessionCookieOnlyOnAPIHost(t *testing.T) {
	s := warrentest.StartServer(t, t.TempDir())
	defer s.Stop(t)
	opKey := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	c := &http.Client{Timeout: 10 * time.Second}
	do := func(method, host, path, key, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+s.Addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := do("PUT", "localhost", "/api/v1/admin/accounts/operator@localhost/password", opKey, `{"password":"correct horse"}`); resp.StatusCode != 204 {
		t.Fatalf("setting the password: %d", resp.StatusCode)
	}
	signIn := `{"email":"operator@localhost","password":"correct horse"}`
	resp := do("POST", "localhost", "/api/v1/session", "", signIn)
	ck := resp.Cookies()
	if resp.StatusCode != 201 || len(ck) != 1 || ck[0].Name != "__Host-warren_session" || ck[0].Domain != "" || !ck[0].Secure || !ck[0].HttpOnly {
		t.Fatalf("API host: %d %+v", resp.StatusCode, ck)
	}
	for _, host := range []string{"demo.localhost", "api.demo.localhost"} {
		resp := do("POST", host, "/api/v1/session", "", signIn)
		if resp.StatusCode == 201 || len(resp.Cookies()) != 0 {
			t.Fatalf("tunnel host %s: %d %+v", host, resp.StatusCode, resp.Cookies())
		}
	}
}
