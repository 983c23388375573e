package httpapi

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"warren/projections"
)

// walkPages follows next_page_uri from path and returns every id of the
// field's items, failing on a duplicate.
func walkPages(t *testing.T, e *testEnv, key, path, field string, idOf func(map[string]any) string) (ids []string, pages int) {
	t.Helper()
	seen := map[string]bool{}
	next := &path
	for next != nil {
		st, _, b := e.do(t, "GET", *next, key, "")
		wantStatus(t, st, 200, b)
		var p map[string]any
		mustJSON(t, b, &p)
		items, ok := p[field].([]any)
		if !ok {
			t.Fatalf("no %q list in %s", field, b)
		}
		if _, ok := p["next_page_uri"]; !ok {
			t.Fatalf("no next_page_uri in %s", b)
		}
		pages++
		for _, it := range items {
			id := idOf(it.(map[string]any))
			if seen[id] {
				t.Fatalf("duplicate %s on page %d", id, pages)
			}
			seen[id] = true
			ids = append(ids, id)
		}
		next = nil
		if s, ok := p["next_page_uri"].(string); ok {
			u, err := url.Parse(s)
			if err != nil || u.Scheme != "http" || u.Host != strings.TrimPrefix(e.ts.URL, "http://") || u.Query().Get("before_id") == "" {
				t.Fatalf("next_page_uri %q is not a full URI with before_id", s)
			}
			next = &s
		}
		if pages > 10 {
			t.Fatal("too many pages")
		}
	}
	return ids, pages
}

func str(f string) func(map[string]any) string {
	return func(m map[string]any) string { s, _ := m[f].(string); return s }
}

func TestPaging(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "pro", false)
	tun := e.tunnel(t, acc, "pager", 0)
	e.capture(t, acc, tun, "pager", 250)
	for i := 0; i < 250; i++ {
		if _, err := e.log.Execute(context.Background(), projections.Reserve(acc, "res-"+itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	// 249 more tunnels (closed) make 250 for /v1/tunnels.
	for i := 0; i < 249; i++ {
		id := e.tunnel(t, acc, "t-"+itoa(i), 0)
		if _, err := e.log.Execute(context.Background(), projections.CloseTunnel(acc, id, "released")); err != nil {
			t.Fatal(err)
		}
	}
	lists := []struct {
		name, path, field, idField string
	}{
		{"TunnelRequests", "/api/v1/me/tunnels/pager/requests?limit=100", "requests", "id"},
		{"Requests", "/v1/requests?limit=100", "requests", "id"},
		{"Reservations", "/api/v1/me/reservations?limit=100", "reservations", "subdomain"},
		{"Tunnels", "/v1/tunnels?limit=100", "tunnels", "id"},
	}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			ids, pages := walkPages(t, e, key, l.path, l.field, str(l.idField))
			if len(ids) != 250 || pages != 3 {
				t.Fatalf("%d items over %d pages, want 250 over 3", len(ids), pages)
			}
			for i := 1; i < len(ids) && l.idField == "id"; i++ {
				if ids[i] >= ids[i-1] {
					t.Fatalf("not newest first at %d: %s after %s", i, ids[i], ids[i-1])
				}
			}
		})
	}
	t.Run("CursorOfAReleasedReservation", func(t *testing.T) {
		// A script that releases each reservation before following
		// next_page_uri: the cursor names one that is gone.
		var page struct {
			Reservations []struct{ Subdomain string }
			Next         string `json:"next_page_uri"`
		}
		_, _, b := e.do(t, "GET", "/api/v1/me/reservations?limit=11", key, "")
		mustJSON(t, b, &page)
		want := page.Reservations[10].Subdomain
		_, _, b = e.do(t, "GET", "/api/v1/me/reservations?limit=10", key, "")
		mustJSON(t, b, &page)
		last := page.Reservations[9].Subdomain
		if st, _, b := e.do(t, "DELETE", "/api/v1/me/reservations/"+last, key, ""); st != 204 {
			t.Fatalf("release %s: %d %s", last, st, b)
		}
		st, _, b := e.do(t, "GET", strings.TrimPrefix(page.Next, e.ts.URL), key, "")
		mustJSON(t, b, &page)
		if st != 200 || len(page.Reservations) == 0 || page.Reservations[0].Subdomain != want {
			t.Fatalf("after releasing the cursor's reservation: %d %s", st, b)
		}
	})
	t.Run("DefaultLimit", func(t *testing.T) {
		_, _, b := e.do(t, "GET", "/v1/requests", key, "")
		var p struct {
			Requests []any  `json:"requests"`
			Next     string `json:"next_page_uri"`
		}
		mustJSON(t, b, &p)
		if strings.Contains(string(b), `\u0026`) {
			t.Fatalf("next_page_uri is HTML-escaped: %s", b)
		}
		if len(p.Requests) != 100 || !strings.Contains(p.Next, "limit=100") {
			t.Fatalf("default page: %d items, next %q", len(p.Requests), p.Next)
		}
	})
	t.Run("ErrNotATunnelName", func(t *testing.T) {
		// A name no tunnel can have is a 400, not an empty list hiding the typo.
		for _, p := range []string{"/api/v1/me/tunnels/NOT_valid!/requests", "/api/v1/me/tunnels/ab/requests/export",
			"/api/v1/me/tunnels/a.b/requests/stream", "/v1/requests?tunnel=BAD!", "/v1/usage/history?tunnel=-x"} {
			st, _, b := e.do(t, "GET", p, key, "")
			wantError(t, st, b, 400, "invalid")
		}
	})
	t.Run("ErrBadParams", func(t *testing.T) {
		for _, q := range []string{"limit=0", "limit=101", "limit=-1", "limit=abc", "limit=",
			"before_id=req_01ARZ3NDEKTSV4RRFFQ69G5FAV", "before_id=req_00000000000000000000000000", "before_id=nonsense", "before_id=tun_01ARZ3NDEKTSV4RRFFQ69G5FAV"} {
			for _, p := range []string{"/api/v1/me/tunnels/pager/requests", "/v1/requests", "/v1/tunnels", "/api/v1/me/reservations"} {
				st, _, b := e.do(t, "GET", p+"?"+q, key, "")
				wantError(t, st, b, 400, "invalid")
			}
		}
	})
}
