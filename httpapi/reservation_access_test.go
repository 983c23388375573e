package httpapi

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"warren/domain"
	"warren/edge/sealed"
	"warren/events"
)

// TestReservationAccess_API: PUT replaces a reservation's rules and GET
// shows them; a password given in clear is hashed before it is recorded,
// so the log holds only its argon2id hash and no answer shows either;
// only the holder may read or change them; bad rules are refused whole.
func TestReservationAccess_API(t *testing.T) {
	e := mustEnv(t)
	_, key := e.account(t, "ada@example.com", "pro", false)
	_, other := e.account(t, "bob@example.com", "pro", false)
	st, _, b := e.do(t, "POST", "/api/v1/me/reservations", key, `{"subdomain":"shop"}`)
	wantStatus(t, st, 201, b)
	const pw = "clear-text-pass-9"
	path := "/api/v1/me/reservations/shop/access"
	t.Run("OK", func(t *testing.T) {
		st, _, b := e.do(t, "PUT", path, key, `{"basicAuth":[{"user":"ada","password":"`+pw+`"}],"allowCidr":["10.1.2.3/8"],"denyCidr":["::ffff:10.9.0.1"]}`)
		wantStatus(t, st, 200, b)
		st, _, b = e.do(t, "GET", path, key, "")
		wantStatus(t, st, 200, b)
		if got := canon(t, b); got != `{"allowCidr":["10.0.0.0/8"],"basicAuth":[{"user":"ada"}],"denyCidr":["10.9.0.1/32"],"oidc":null,"subdomain":"shop"}` {
			t.Fatalf("GET = %s", got)
		}
		var found bool
		if err := e.log.ReadFrom([16]byte{}, func(ev events.Event) error {
			if bytes.Contains(ev.Data, []byte(pw)) {
				t.Errorf("%s holds the password in clear: %s", ev.Type, ev.Data)
			}
			if ev.Type == events.ReservationAccessSet {
				found = bytes.Contains(ev.Data, []byte(`"hash":"$argon2id$`))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !found {
			t.Fatal("no reservation.access_set with an argon2id hash in the log")
		}
		st, _, b = e.do(t, "PUT", path, key, `{}`)
		wantStatus(t, st, 200, b)
		if strings.Contains(string(b), "ada") {
			t.Fatalf("an empty PUT kept %s", b)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		st, _, b := e.do(t, "GET", path, other, "")
		wantError(t, st, b, 404, "not_found")
		st, _, b = e.do(t, "PUT", path, other, `{"denyCidr":["10.0.0.0/8"]}`)
		wantError(t, st, b, 404, "not_found")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, body := range []string{
			`{"allowCidr":["10.0.0.0/33"]}`,
			`{"basicAuth":[{"user":"ada"}]}`,
			`{"basicAuth":[{"user":"ada","password":"short"}]}`,
			`{"basicAuth":[{"user":"ada","passwordHash":"not-a-hash"}]}`,
			`{"basicAuth":[{"user":"ada","password":"long enough 1"},{"user":"ada","password":"long enough 2"}]}`,
			`{"basicAuth":[{"user":"a:b","password":"long enough 1"}]}`,
		} {
			st, _, b := e.do(t, "PUT", path, key, body)
			wantError(t, st, b, 400, "invalid")
		}
	})
}

// TestReservationAccess_OIDCSecretIsSealed: a reservation's OIDC client
// secret goes to the sealed store, never the log or an answer (which show
// its fingerprint); replacing the login destroys the old secret, and
// without a sealed store such a login is refused.
func TestReservationAccess_OIDCSecretIsSealed(t *testing.T) {
	dir := t.TempDir()
	store, err := sealed.Open(sealed.Options{Path: filepath.Join(dir, "secrets.sealed"), KeyPath: filepath.Join(dir, "secrets.key")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e := mustEnv(t, func(c *Config) { c.Secrets = store })
	_, key := e.account(t, "ada@example.com", "pro", false)
	st, _, b := e.do(t, "POST", "/api/v1/me/reservations", key, `{"subdomain":"shop"}`)
	wantStatus(t, st, 201, b)
	path := "/api/v1/me/reservations/shop/access"
	put := func(secret string) []byte {
		t.Helper()
		st, _, b := e.do(t, "PUT", path, key, `{"oidc":{"issuer":"https://accounts.example.com","clientId":"warren","clientSecret":"`+secret+`","allowEmail":["@Example.com"]}}`)
		wantStatus(t, st, 200, b)
		return b
	}
	b = put("first-client-secret")
	if strings.Contains(string(b), "first-client-secret") || !strings.Contains(string(b), `"clientSecretFingerprint":"fp_`) ||
		!strings.Contains(string(b), `"allowEmail":["@example.com"]`) {
		t.Fatalf("PUT answered %s", b)
	}
	if n := len(store.List()); n != 1 {
		t.Fatalf("%d sealed secrets, want 1", n)
	}
	put("second-client-secret")
	if l := store.List(); len(l) != 1 {
		t.Fatalf("replacing the login left %d sealed secrets, want 1 (the old one destroyed)", len(l))
	}
	st, _, b = e.do(t, "GET", path, key, "")
	wantStatus(t, st, 200, b)
	if strings.Contains(string(b), "client-secret") || strings.Contains(string(b), "sec_") {
		t.Fatalf("GET shows the secret or its id: %s", b)
	}
	if err := e.log.ReadFrom([16]byte{}, func(ev events.Event) error {
		if bytes.Contains(ev.Data, []byte("client-secret")) {
			t.Errorf("%s holds a client secret: %s", ev.Type, ev.Data)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st, _, b = e.do(t, "PUT", path, key, `{}`)
	wantStatus(t, st, 200, b)
	if n := len(store.List()); n != 0 {
		t.Fatalf("clearing the rules left %d sealed secrets", n)
	}
	put("third-client-secret")
	st, _, b = e.do(t, "DELETE", "/api/v1/me/reservations/shop", key, "")
	wantStatus(t, st, 204, b)
	if n := len(store.List()); n != 0 {
		t.Fatalf("releasing the reservation left %d sealed secrets", n)
	}
	t.Run("ErrUnavailable", func(t *testing.T) {
		e := mustEnv(t)
		_, key := e.account(t, "bob@example.com", "pro", false)
		st, _, b := e.do(t, "POST", "/api/v1/me/reservations", key, `{"subdomain":"bobs"}`)
		wantStatus(t, st, 201, b)
		st, _, b = e.do(t, "PUT", "/api/v1/me/reservations/bobs/access", key, `{"oidc":{"issuer":"https://a.example","clientId":"w","clientSecret":"s","allowEmail":["@x.org"]}}`)
		wantError(t, st, b, 503, "unavailable")
	})
}

// TestRequestDetail_ShowsDenied: a capture an access rule refused says
// which rule in GET …/requests/{id}.
func TestRequestDetail_ShowsDenied(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "pro", false)
	tun := e.tunnel(t, acc, "shop", 0)
	d := captureDraft(acc, tun, "shop", 1, nil, nil)
	cr := d.Data.(domain.CapturedRequest)
	cr.Status, cr.Error, cr.Denied = 403, "denied", domain.DeniedIP
	evs, err := e.log.Append(context.Background(), events.CapturedDraft(acc, time.Now(), cr, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/shop/requests/req_"+evs[0].ID.String(), key, "")
	wantStatus(t, st, 200, b)
	if !strings.Contains(string(b), `"denied":"ip"`) {
		t.Fatalf("detail without denied: %s", b)
	}
}
