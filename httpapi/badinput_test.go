package httpapi

import (
	"context"
	"strings"
	"testing"

	"warren/projections"
)

func TestBadInput(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "pro", false)
	post := func(t *testing.T, body string, hdr ...string) (int, []byte) {
		st, _, b := e.do(t, "POST", "/api/v1/me/reservations", key, body, hdr...)
		return st, b
	}
	t.Run("MalformedJSON", func(t *testing.T) {
		for _, body := range []string{`{"subdomain":`, `{subdomain:"x"}`, `{"subdomain":"abc"} {}`, `[1,2`} {
			st, b := post(t, body, "Content-Type", "application/json")
			wantError(t, st, b, 400, "invalid")
		}
	})
	t.Run("WrongTypes", func(t *testing.T) {
		for _, body := range []string{`{"subdomain":42}`, `{"subdomain":["a"]}`, `{"subdomain":{}}`, `{"subdomain":true}`} {
			st, b := post(t, body)
			wantError(t, st, b, 400, "invalid")
			if !strings.Contains(string(b), `subdomain`) {
				t.Fatalf("message does not name the field: %s", b)
			}
		}
		st, b := post(t, `[]`)
		wantError(t, st, b, 400, "invalid")
		st, b = post(t, `{}`)
		wantError(t, st, b, 400, "invalid")
	})
	t.Run("InvalidSubdomains", func(t *testing.T) {
		for _, sub := range []string{"MyApp", strings.Repeat("a", 64), "-app", "app-", "admin", "api", "café", "ab", "my_app", "my.app", ""} {
			st, b := post(t, `{"subdomain":"`+sub+`"}`)
			wantError(t, st, b, 400, "invalid")
		}
	})
	t.Run("TooLarge", func(t *testing.T) {
		big := `{"subdomain":"abc","pad":"` + strings.Repeat("x", 1<<20) + `"}`
		st, b := post(t, big, "Content-Type", "application/json")
		wantError(t, st, b, 413, "too_large")
	})
	t.Run("UnsupportedMediaType", func(t *testing.T) {
		for _, ct := range []string{"text/plain", "application/xml", "multipart/form-data; boundary=x", "garbage;;"} {
			st, b := post(t, `{"subdomain":"abcd"}`, "Content-Type", ct)
			wantError(t, st, b, 415, "unsupported_media_type")
		}
		st, b := post(t, `subdomain=abcd`, "Content-Type", "application/x-www-form-urlencoded")
		wantError(t, st, b, 415, "unsupported_media_type")
		// JSON sent as curl's default form type is JSON: a wrong type is a 400.
		st, b = post(t, `{"subdomain":42}`, "Content-Type", "application/x-www-form-urlencoded")
		wantError(t, st, b, 400, "invalid")
		// So is malformed JSON sent that way (curl -d with a typo): a 400, not a 415.
		st, b = post(t, `{"subdomain":"abcd"`, "Content-Type", "application/x-www-form-urlencoded")
		wantError(t, st, b, 400, "invalid")
	})
	t.Run("ContentTypesAccepted", func(t *testing.T) {
		for i, ct := range []string{"", "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded"} {
			_, k := e.account(t, "ct"+itoa(i)+"@example.com", "pro", false)
			st, _, b := e.do(t, "POST", "/api/v1/me/reservations", k, `{"subdomain":"ct-`+itoa(i)+`"}`, "Content-Type", ct)
			wantStatus(t, st, 201, b)
		}
	})
	t.Run("MethodNotAllowed", func(t *testing.T) {
		for _, c := range []struct{ method, path, allow string }{
			{"PUT", "/api/v1/me/reservations", "GET, OPTIONS, POST"},
			{"POST", "/v1/me", "GET, OPTIONS"},
			{"GET", "/api/v1/admin/accounts/acc_x", "OPTIONS, PATCH"},
		} {
			st, h, b := e.do(t, c.method, c.path, key, "")
			wantError(t, st, b, 405, "method_not_allowed")
			if h.Get("Allow") != c.allow {
				t.Fatalf("%s %s Allow = %q, want %q", c.method, c.path, h.Get("Allow"), c.allow)
			}
		}
	})
	t.Run("UnknownRoute", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/nope", key, "")
		wantError(t, st, b, 404, "not_found")
	})
	t.Run("Version", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/v1/me", key, "", "Warren-Version", "1")
		wantStatus(t, st, 200, b)
		st, _, b = e.do(t, "GET", "/v1/me", key, "", "Warren-Version", "2")
		wantError(t, st, b, 400, "invalid")
		if !strings.Contains(string(b), `supported versions: 1`) {
			t.Fatalf("message does not name the supported versions: %s", b)
		}
		st, _, b = e.do(t, "GET", "/v1/me", key, "", "ngrok-version", "2")
		wantStatus(t, st, 200, b)
	})
	t.Run("QuotaIs429", func(t *testing.T) {
		_, k := e.account(t, "free@example.com", "free", false)
		st, _, b := e.do(t, "POST", "/api/v1/me/reservations", k, `{"subdomain":"free-one"}`)
		wantStatus(t, st, 201, b)
		st, _, b = e.do(t, "POST", "/api/v1/me/reservations", k, `{"subdomain":"free-two"}`)
		wantError(t, st, b, 429, "quota")
	})
	t.Run("RevokedKeyNextRequest", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/v1/me", key, "")
		wantStatus(t, st, 200, b)
		// A spare key first: an account cannot revoke its last one.
		if _, err := e.log.Execute(context.Background(), projections.CreateKey(acc, "deadbeef", "ak_xx", "spare")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.log.Execute(context.Background(), projections.RevokeKey(acc, mustKeyID(t, e, key))); err != nil {
			t.Fatal(err)
		}
		st, _, b = e.do(t, "GET", "/v1/me", key, "")
		wantError(t, st, b, 401, "unauthorized")
	})
}
