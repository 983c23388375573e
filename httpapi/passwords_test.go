package httpapi

import (
	"strings"
	"testing"
	"time"

	"warren/events"
)

func TestAdminSetsPassword(t *testing.T) {
	e := mustEnv(t, cheapPasswords)
	_, kop := e.account(t, "op@example.com", "pro", true)
	a, ka := e.account(t, "a@example.com", "free", false)
	t.Run("OK", func(t *testing.T) {
		st, _, b := e.do(t, "PUT", "/api/v1/admin/accounts/"+a+"/password", kop, `{"password":"correct horse"}`, "Content-Type", "application/json")
		wantStatus(t, st, 204, b)
		e.mustSignIn(t, "a@example.com", "correct horse")
	})
	t.Run("ErrNotOperator", func(t *testing.T) {
		st, _, b := e.do(t, "PUT", "/api/v1/admin/accounts/"+a+"/password", ka, `{"password":"correct horse"}`)
		wantError(t, st, b, 403, "forbidden")
	})
	t.Run("ErrShort", func(t *testing.T) {
		st, _, b := e.do(t, "PUT", "/api/v1/admin/accounts/"+a+"/password", kop, `{"password":"short"}`)
		wantError(t, st, b, 400, "invalid")
	})
	t.Run("ErrNoAccount", func(t *testing.T) {
		st, _, b := e.do(t, "PUT", "/api/v1/admin/accounts/acc_01JD5Z8X7K3M9N2P4R6T8V0W1X/password", kop, `{"password":"correct horse"}`)
		wantError(t, st, b, 404, "not_found")
	})
	t.Run("ChangeSignsOut", func(t *testing.T) {
		c := e.mustSignIn(t, "a@example.com", "correct horse")
		st, _, b := e.do(t, "PUT", "/api/v1/admin/accounts/"+a+"/password", kop, `{"password":"battery staple"}`)
		wantStatus(t, st, 204, b)
		st, _, b = e.do(t, "GET", "/api/v1/me/sessions", "", "", "Cookie", c)
		wantError(t, st, b, 401, "unauthorized")
		if st, b, _ := e.signIn(t, "a@example.com", "correct horse"); st != 401 {
			t.Fatalf("old password still signs in: %d %s", st, b)
		}
	})
}

func TestPasswordLink(t *testing.T) {
	e := mustEnv(t, cheapPasswords)
	_, kop := e.account(t, "op@example.com", "pro", true)
	a, _ := e.account(t, "a@example.com", "free", false)
	st, _, b := e.do(t, "POST", "/api/v1/admin/accounts/"+a+"/password-link", kop, "")
	wantStatus(t, st, 201, b)
	var link struct {
		URL       string    `json:"url"`
		ExpiresAt time.Time `json:"expiresAt"`
	}
	mustJSON(t, b, &link)
	base, token, ok := strings.Cut(link.URL, "/set-password#")
	if !ok || base != e.ts.URL || len(token) != 43 || time.Until(link.ExpiresAt) < 23*time.Hour || time.Until(link.ExpiresAt) > 24*time.Hour {
		t.Fatalf("link %+v", link)
	}
	set := func(token, pw string) (int, []byte) {
		st, _, b := e.do(t, "POST", "/api/v1/password", "", `{"token":"`+token+`","password":"`+pw+`"}`, "Content-Type", "application/json")
		return st, b
	}
	t.Run("OK", func(t *testing.T) {
		st, b := set(token, "correct horse")
		wantStatus(t, st, 204, b)
		e.mustSignIn(t, "a@example.com", "correct horse")
	})
	t.Run("ErrSingleUse", func(t *testing.T) {
		st, b := set(token, "battery staple")
		wantError(t, st, b, 404, "not_found")
		e.mustSignIn(t, "a@example.com", "correct horse")
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		st, b := set(strings.Repeat("A", 43), "battery staple")
		wantError(t, st, b, 404, "not_found")
	})
	t.Run("TokenNotInLog", func(t *testing.T) {
		if err := e.log.ReadFrom([16]byte{}, func(ev events.Event) error {
			if strings.Contains(string(ev.Data), token) || strings.Contains(string(ev.Data), "correct horse") {
				t.Errorf("%s holds the token or password: %s", ev.Type, ev.Data)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAuditHidesSigninHashes: the audit log shows sign-in events without
// the password's hash (an attacker with a key could crack it offline), the
// link token's or the cookie's hash.
func TestAuditHidesSigninHashes(t *testing.T) {
	e := mustEnv(t, cheapPasswords)
	a, ka := e.account(t, "a@example.com", "free", true)
	st, _, b := e.do(t, "PUT", "/api/v1/admin/accounts/"+a+"/password", ka, `{"password":"correct horse"}`)
	wantStatus(t, st, 204, b)
	st, _, b = e.do(t, "POST", "/api/v1/admin/accounts/"+a+"/password-link", ka, "")
	wantStatus(t, st, 201, b)
	e.mustSignIn(t, "a@example.com", "correct horse")
	for _, path := range []string{"/api/v1/me/events", "/api/v1/admin/events"} {
		st, _, b = e.do(t, "GET", path, ka, "")
		wantStatus(t, st, 200, b)
		for _, typ := range []string{"account.password_set", "account.password_link_created", "session.created"} {
			if !strings.Contains(string(b), typ) {
				t.Fatalf("%s lacks %s: %s", path, typ, b)
			}
		}
		for _, field := range []string{`"hash"`, `"tokenHash"`, `"idHash"`, "$argon2id$"} {
			if strings.Contains(string(b), field) {
				t.Errorf("%s shows %s: %s", path, field, b)
			}
		}
	}
}
