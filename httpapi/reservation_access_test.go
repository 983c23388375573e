package httpapi

import (
	"bytes"
	"strings"
	"testing"

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
		if got := canon(t, b); got != `{"allowCidr":["10.0.0.0/8"],"basicAuth":[{"user":"ada"}],"denyCidr":["10.9.0.1/32"],"subdomain":"shop"}` {
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
