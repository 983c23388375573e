package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"warren/events"
)

func TestSignIn(t *testing.T) {
	e := mustEnv(t, cheapPasswords)
	a, _ := e.account(t, "a@example.com", "free", false)
	e.mustPassword(t, a, "correct horse")
	t.Run("OK", func(t *testing.T) {
		st, b, c := e.signIn(t, "A@Example.com ", "correct horse")
		wantStatus(t, st, 201, b)
		if c == nil || c.Name != "warren_session" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.Secure {
			t.Fatalf("cookie %+v on plain http to 127.0.0.1", c)
		}
		if len(c.Value) != 43 { // 256 bits, base64url
			t.Fatalf("cookie value %q", c.Value)
		}
		var out struct {
			Session sessionJSON `json:"session"`
			Account accountJSON `json:"account"`
		}
		mustJSON(t, b, &out)
		if out.Account.ID != a || !out.Session.Current || !strings.HasPrefix(out.Session.ID, "web_") {
			t.Fatalf("%s", b)
		}
		st, _, b = e.do(t, "GET", "/api/v1/me/sessions", "", "", "Cookie", c.Name+"="+c.Value)
		wantStatus(t, st, 200, b)
		if !strings.Contains(string(b), `"current":true`) || !strings.Contains(string(b), out.Session.ID) {
			t.Fatalf("sessions %s", b)
		}
	})
	t.Run("SecureCookieOnLocalhost", func(t *testing.T) {
		url := strings.Replace(e.ts.URL, "127.0.0.1", "localhost", 1) + "/api/v1/session"
		st, h, b := e.do(t, "POST", url, "", `{"email":"a@example.com","password":"correct horse"}`, "Content-Type", "application/json")
		wantStatus(t, st, 201, b)
		c := (&http.Response{Header: h}).Cookies()
		if len(c) != 1 || c[0].Name != "__Host-warren_session" || !c[0].Secure || c[0].Domain != "" || c[0].Path != "/" {
			t.Fatalf("cookies %+v", c)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		for _, in := range [][2]string{{"a@example.com", "correct horsE"}, {"nobody@example.com", "correct horse"}, {"not an email", "x"}} {
			st, b, c := e.signIn(t, in[0], in[1])
			wantError(t, st, b, 401, "unauthorized")
			if c != nil || !strings.Contains(string(b), "wrong email or password") {
				t.Fatalf("%v: cookie %v, body %s", in, c, b)
			}
		}
	})
	t.Run("AuditWithoutSecrets", func(t *testing.T) {
		var failed, created int
		if err := e.log.ReadFrom([16]byte{}, func(ev events.Event) error {
			for _, secret := range []string{"correct horse", "correct horsE", "nobody@example.com", "not an email"} {
				if strings.Contains(string(ev.Data), secret) {
					t.Errorf("%s holds %q: %s", ev.Type, secret, ev.Data)
				}
			}
			switch ev.Type {
			case events.SigninFailed:
				failed++
			case events.SessionCreated:
				created++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if failed != 1 || created != 2 {
			t.Fatalf("%d signin.failed (want 1: only the existing account's), %d session.created (want 2)", failed, created)
		}
	})
}

func TestSignIn_RateLimited(t *testing.T) {
	// A frozen clock: the limits refill with time (one try per 6 s per
	// address), and a loaded machine can take longer than that for the
	// sign-ins below, which made this test flaky on the wall clock.
	frozen := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	e := mustEnv(t, cheapPasswords, func(c *Config) { c.Now = func() time.Time { return frozen } })
	a, _ := e.account(t, "a@example.com", "free", false)
	e.mustPassword(t, a, "correct horse")
	t.Run("PerAccount", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			st, b, _ := e.signIn(t, "a@example.com", "wrong password "+strconv.Itoa(i))
			wantStatus(t, st, 401, b)
		}
		// The right password too: the account is locked for a while.
		st, h, b := e.do(t, "POST", "/api/v1/session", "", `{"email":"a@example.com","password":"correct horse"}`, "Content-Type", "application/json")
		wantError(t, st, b, 429, "quota")
		if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s < 1 || !strings.Contains(string(b), "for this account") {
			t.Fatalf("Retry-After %q, body %s", h.Get("Retry-After"), b)
		}
	})
	t.Run("PerAddress", func(t *testing.T) {
		// 5 failures spent above; 5 more on other emails use up the address.
		for i := 0; i < 5; i++ {
			st, b, _ := e.signIn(t, "x"+strconv.Itoa(i)+"@example.com", "wrong password")
			wantStatus(t, st, 401, b)
		}
		st, h, b := e.do(t, "POST", "/api/v1/session", "", `{"email":"y@example.com","password":"wrong password"}`, "Content-Type", "application/json")
		wantError(t, st, b, 429, "quota")
		if h.Get("Retry-After") == "" || !strings.Contains(string(b), "from this address") {
			t.Fatalf("Retry-After %q, body %s", h.Get("Retry-After"), b)
		}
	})
}

func TestSessions_Revoke(t *testing.T) {
	e := mustEnv(t, cheapPasswords)
	a, ka := e.account(t, "a@example.com", "free", false)
	b, _ := e.account(t, "b@example.com", "free", false)
	e.mustPassword(t, a, "correct horse")
	e.mustPassword(t, b, "battery staple")
	c1, c2 := e.mustSignIn(t, "a@example.com", "correct horse"), e.mustSignIn(t, "a@example.com", "correct horse")
	cb := e.mustSignIn(t, "b@example.com", "battery staple")
	sessions := func(cookie string) []sessionJSON {
		st, _, body := e.do(t, "GET", "/api/v1/me/sessions", "", "", "Cookie", cookie)
		wantStatus(t, st, 200, body)
		var out struct{ Sessions []sessionJSON }
		mustJSON(t, body, &out)
		return out.Sessions
	}
	t.Run("OtherAccountsNotFound", func(t *testing.T) {
		theirs := sessions(cb)[0].ID
		st, _, body := e.do(t, "DELETE", "/api/v1/me/sessions/"+theirs, "", "", "Cookie", c1)
		wantError(t, st, body, 404, "not_found")
		st, _, body = e.do(t, "DELETE", "/api/v1/me/sessions/"+theirs, ka, "")
		wantError(t, st, body, 404, "not_found")
	})
	t.Run("One", func(t *testing.T) {
		ss := sessions(c1)
		if len(ss) != 2 {
			t.Fatalf("%+v", ss)
		}
		var other string
		for _, s := range ss {
			if !s.Current {
				other = s.ID
			}
		}
		st, _, body := e.do(t, "DELETE", "/api/v1/me/sessions/"+other, "", "", "Cookie", c1)
		wantStatus(t, st, 204, body)
		st, _, body = e.do(t, "GET", "/api/v1/me/sessions", "", "", "Cookie", c2)
		wantError(t, st, body, 401, "unauthorized")
	})
	t.Run("SignOut", func(t *testing.T) {
		st, h, body := e.do(t, "DELETE", "/api/v1/session", "", "", "Cookie", c1)
		wantStatus(t, st, 204, body)
		if c := (&http.Response{Header: h}).Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
			t.Fatalf("sign-out cookies %+v", c)
		}
		st, _, body = e.do(t, "GET", "/api/v1/me/sessions", "", "", "Cookie", c1)
		wantError(t, st, body, 401, "unauthorized")
		st, _, body = e.do(t, "DELETE", "/api/v1/session", ka, "")
		wantError(t, st, body, 400, "invalid")
	})
	t.Run("Everywhere", func(t *testing.T) {
		x, y := e.mustSignIn(t, "a@example.com", "correct horse"), e.mustSignIn(t, "a@example.com", "correct horse")
		st, _, body := e.do(t, "DELETE", "/api/v1/me/sessions", "", "", "Cookie", x)
		wantStatus(t, st, 204, body)
		for _, c := range []string{x, y} {
			st, _, body = e.do(t, "GET", "/api/v1/me/sessions", "", "", "Cookie", c)
			wantError(t, st, body, 401, "unauthorized")
		}
		if len(sessions(cb)) != 1 {
			t.Fatal("b's session ended with a's")
		}
	})
	t.Run("RevocationsAudited", func(t *testing.T) {
		reasons := map[string]int{}
		if err := e.log.ReadFrom([16]byte{}, func(ev events.Event) error {
			var d events.SessionRevokedData
			if ev.Type == events.SessionRevoked && ev.DecodeData(&d) == nil {
				reasons[d.Reason]++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if reasons["revoked"] != 1 || reasons["signed_out"] != 1 || reasons["everywhere"] != 2 {
			t.Fatalf("revocations %v", reasons)
		}
	})
}

func TestSessions_Expiry(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)}
	e := mustEnvClock(t, clock, cheapPasswords)
	a, _ := e.account(t, "a@example.com", "free", false)
	e.mustPassword(t, a, "correct horse")
	get := func(cookie string) int {
		st, _, _ := e.do(t, "GET", "/api/v1/me/sessions", "", "", "Cookie", cookie)
		return st
	}
	t.Run("Idle", func(t *testing.T) {
		c := e.mustSignIn(t, "a@example.com", "correct horse")
		clock.Add(11 * time.Hour)
		if st := get(c); st != 200 {
			t.Fatalf("after 11 h idle: %d", st)
		}
		clock.Add(11 * time.Hour) // 11 h since the last use: still live
		if st := get(c); st != 200 {
			t.Fatalf("used 11 h ago: %d", st)
		}
		clock.Add(12*time.Hour + time.Second)
		if st := get(c); st != 401 {
			t.Fatalf("after 12 h idle: %d, want 401", st)
		}
	})
	t.Run("Absolute", func(t *testing.T) {
		c := e.mustSignIn(t, "a@example.com", "correct horse")
		for i := 0; i < 14; i++ { // used every 12 h minus a minute, for 7 days minus 14 minutes
			clock.Add(12*time.Hour - time.Minute)
			if st := get(c); st != 200 {
				t.Fatalf("use %d: %d", i, st)
			}
		}
		clock.Add(15 * time.Minute)
		if st := get(c); st != 401 {
			t.Fatalf("after 7 days: %d, want 401", st)
		}
	})
}

func TestCookieWrites(t *testing.T) {
	e := mustEnv(t, cheapPasswords)
	a, ka := e.account(t, "a@example.com", "pro", false)
	e.mustPassword(t, a, "correct horse")
	c := e.mustSignIn(t, "a@example.com", "correct horse")
	post := func(sub, key string, hdr ...string) (int, []byte) {
		st, _, b := e.do(t, "POST", "/api/v1/me/reservations", key, `{"subdomain":"`+sub+`"}`, hdr...)
		return st, b
	}
	t.Run("SameOriginOK", func(t *testing.T) {
		st, b := post("mine", "", "Cookie", c, "Content-Type", "application/json", "Sec-Fetch-Site", "same-origin")
		wantStatus(t, st, 201, b)
	})
	t.Run("ErrCrossOrigin", func(t *testing.T) {
		st, b := post("xsite", "", "Cookie", c, "Content-Type", "application/json", "Sec-Fetch-Site", "same-site")
		wantError(t, st, b, 403, "forbidden")
		st, b = post("xorigin", "", "Cookie", c, "Content-Type", "application/json", "Origin", "http://evil.warren.test")
		wantError(t, st, b, 403, "forbidden")
	})
	t.Run("ErrNotJSON", func(t *testing.T) {
		for _, ct := range []string{"application/x-www-form-urlencoded", "text/plain", ""} {
			st, b := post("form", "", "Cookie", c, "Content-Type", ct)
			wantStatus(t, st, 415, b)
		}
	})
	t.Run("KeyUnaffected", func(t *testing.T) {
		st, b := post("bykey", ka, "Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "cross-site")
		wantStatus(t, st, 201, b)
	})
	t.Run("ErrLoginCrossOrigin", func(t *testing.T) {
		st, _, b := e.do(t, "POST", "/api/v1/session", "", `{"email":"a@example.com","password":"correct horse"}`,
			"Content-Type", "application/json", "Sec-Fetch-Site", "cross-site")
		wantError(t, st, b, 403, "forbidden")
	})
}
