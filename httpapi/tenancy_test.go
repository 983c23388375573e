package httpapi

import (
	"context"
	"strings"
	"testing"

	"warren/projections"
)

func TestTenancy(t *testing.T) {
	e := mustEnv(t)
	a, ka := e.account(t, "a@example.com", "pro", false)
	b, kb := e.account(t, "b@example.com", "pro", false)
	tun := e.tunnel(t, a, "alpha", 0)
	e.tunnel(t, a, "", 20005)
	evs, err := e.log.Append(context.Background(), captureDraft(a, tun, "alpha", 0, []byte("secret"), nil))
	if err != nil {
		t.Fatal(err)
	}
	req := "req_" + evs[0].ID.String()
	if _, err := e.log.Execute(context.Background(), projections.Reserve(a, "alpha-res")); err != nil {
		t.Fatal(err)
	}

	t.Run("NotFound", func(t *testing.T) {
		for _, c := range []struct{ method, path string }{
			{"DELETE", "/api/v1/me/reservations/alpha-res"},
			{"DELETE", "/api/v1/me/tunnels/alpha"},
			{"DELETE", "/api/v1/me/tunnels/tcp-20005"},
			{"DELETE", "/api/v1/me/tunnels/" + tun},
			{"DELETE", "/v1/tunnels/" + tun},
			{"GET", "/api/v1/me/tunnels/alpha/requests/" + req},
		} {
			st, _, b := e.do(t, c.method, c.path, kb, "")
			wantError(t, st, b, 404, "not_found")
		}
	})
	t.Run("Conflict", func(t *testing.T) {
		for _, sub := range []string{"alpha-res", "alpha"} {
			st, _, b := e.do(t, "POST", "/api/v1/me/reservations", kb, `{"subdomain":"`+sub+`"}`)
			wantError(t, st, b, 409, "conflict")
		}
	})
	t.Run("ListsEmpty", func(t *testing.T) {
		for _, p := range []string{"/api/v1/me/tunnels/alpha/requests", "/v1/requests", "/v1/tunnels", "/api/v1/me/reservations", "/api/v1/me/tunnels"} {
			st, _, b := e.do(t, "GET", p, kb, "")
			wantStatus(t, st, 200, b)
			if strings.Contains(string(b), "alpha") || strings.Contains(string(b), tun) || strings.Contains(string(b), req) {
				t.Fatalf("%s leaks A's things: %s", p, b)
			}
		}
	})
	t.Run("CursorOfOtherAccount", func(t *testing.T) {
		for _, p := range []string{"/v1/requests?before_id=" + req, "/v1/tunnels?before_id=" + tun, "/api/v1/me/reservations?before_id=alpha-res"} {
			st, _, b := e.do(t, "GET", p, kb, "")
			wantError(t, st, b, 400, "invalid")
		}
	})
	t.Run("Stream", func(t *testing.T) {
		// B streams "alpha": A's new request must not show, and neither must
		// A's backlog on a resume from before it.
		c := e.openSSE(t, "/api/v1/me/tunnels/alpha/requests/stream", kb, "00000000000000000000000000")
		defer c.close()
		if _, err := e.log.Append(context.Background(), captureDraft(a, tun, "alpha", 1, nil, nil)); err != nil {
			t.Fatal(err)
		}
		evs, err := e.log.Append(context.Background(), captureDraft(b, "tun_b", "alpha", 2, nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := c.next()
		if err != nil || ev.id != evs[0].ID.String() {
			t.Fatalf("B's stream got %+v, %v; want only B's %s", ev, err, evs[0].ID)
		}
	})
	t.Run("StillThereForOwner", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/alpha/requests/"+req, ka, "")
		wantStatus(t, st, 200, b)
		_, _, b = e.do(t, "GET", "/api/v1/me/reservations", ka, "")
		if !strings.Contains(string(b), "alpha-res") {
			t.Fatalf("owner lost reservation: %s", b)
		}
	})
}
