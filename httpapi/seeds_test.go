package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The seeds' curl examples, host changed to the test server.

func TestSeeds_Lrok(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "pro", false)
	e.tunnel(t, acc, "stripe-dev", 0)

	t.Run("Plan", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/me/plan", key, "")
		wantStatus(t, st, 200, b)
		var p map[string]any
		mustJSON(t, b, &p)
		want := `{"plan":"pro","reservations":{"limit":null,"used":0},"reservedPorts":{"limit":20,"used":0},"tunnels":{"active":1,"limit":null}}`
		if got := canon(t, b); got != want {
			t.Fatalf("plan = %s, want %s", got, want)
		}
	})
	t.Run("PlanFreeLimits", func(t *testing.T) {
		_, k2 := e.account(t, "free@example.com", "free", false)
		_, _, b := e.do(t, "GET", "/api/v1/me/plan", k2, "")
		if got := canon(t, b); got != `{"plan":"free","reservations":{"limit":1,"used":0},"reservedPorts":{"limit":1,"used":0},"tunnels":{"active":0,"limit":10}}` {
			t.Fatalf("plan = %s", got)
		}
	})
	t.Run("Tunnels", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels", key, "")
		wantStatus(t, st, 200, b)
		var ts []map[string]any
		mustJSON(t, b, &ts)
		if len(ts) != 1 {
			t.Fatalf("tunnels = %s", b)
		}
		tn := ts[0]
		if tn["subdomain"] != "stripe-dev" || tn["publicUrl"] != "https://stripe-dev.warren.test" || tn["remoteAddr"] != "203.0.113.7" {
			t.Fatalf("tunnel = %v", tn)
		}
		at, err := time.Parse(time.RFC3339, tn["createdAt"].(string))
		if err != nil || !strings.HasSuffix(tn["createdAt"].(string), "Z") || time.Since(at) > time.Minute {
			t.Fatalf("createdAt %v: %v", tn["createdAt"], err)
		}
	})
	t.Run("Reservations", func(t *testing.T) {
		// The seed's POST sends curl's default form content type.
		st, _, b := e.do(t, "POST", "/api/v1/me/reservations", key, `{"subdomain":"stripe-dev"}`,
			"Content-Type", "application/x-www-form-urlencoded")
		wantStatus(t, st, 201, b)
		var r map[string]any
		mustJSON(t, b, &r)
		if r["subdomain"] != "stripe-dev" || r["createdAt"] == nil {
			t.Fatalf("created = %s", b)
		}
		st, _, b = e.do(t, "GET", "/api/v1/me/reservations", key, "")
		wantStatus(t, st, 200, b)
		var l struct {
			Reservations []map[string]any `json:"reservations"`
			Next         *string          `json:"next_page_uri"`
		}
		mustJSON(t, b, &l)
		if len(l.Reservations) != 1 || l.Reservations[0]["subdomain"] != "stripe-dev" || l.Next != nil || !strings.Contains(string(b), `"next_page_uri":null`) {
			t.Fatalf("list = %s", b)
		}
		st, _, b = e.do(t, "DELETE", "/api/v1/me/reservations/stripe-dev", key, "")
		wantStatus(t, st, 204, b)
		st, _, b = e.do(t, "DELETE", "/api/v1/me/reservations/stripe-dev", key, "")
		wantError(t, st, b, 404, "not_found")
		_, _, b = e.do(t, "GET", "/api/v1/me/reservations", key, "")
		if !strings.Contains(string(b), `"reservations":[]`) {
			t.Fatalf("after release = %s", b)
		}
	})
	t.Run("ReleaseTunnel", func(t *testing.T) {
		e.tunnel(t, acc, "gone-soon", 0)
		st, _, b := e.do(t, "DELETE", "/api/v1/me/tunnels/gone-soon", key, "")
		wantStatus(t, st, 204, b)
		_, _, b = e.do(t, "GET", "/api/v1/me/tunnels", key, "")
		if strings.Contains(string(b), "gone-soon") {
			t.Fatalf("released tunnel still listed: %s", b)
		}
		st, _, b = e.do(t, "DELETE", "/api/v1/me/tunnels/gone-soon", key, "")
		wantError(t, st, b, 404, "not_found")
	})
}

func TestSeeds_Requests(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "pro", false)
	tun := e.tunnel(t, acc, "stripe-dev", 0)
	evs, err := e.log.Append(t.Context(), captureDraft(acc, tun, "stripe-dev", 1, []byte(`{"a":1}`), []byte{0xff, 0xfe, 0}))
	if err != nil {
		t.Fatal(err)
	}
	id := "req_" + evs[0].ID.String()

	t.Run("List", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/stripe-dev/requests", key, "")
		wantStatus(t, st, 200, b)
		var l struct {
			Requests []map[string]any `json:"requests"`
			Next     *string          `json:"next_page_uri"`
		}
		mustJSON(t, b, &l)
		if len(l.Requests) != 1 || l.Requests[0]["id"] != id || l.Requests[0]["method"] != "GET" || l.Requests[0]["status"] != 200.0 {
			t.Fatalf("requests = %s", b)
		}
	})
	t.Run("Detail", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/stripe-dev/requests/"+id, key, "")
		wantStatus(t, st, 200, b)
		var d struct {
			ID       string `json:"id"`
			Request  exchangeJSON
			Response exchangeJSON
		}
		mustJSON(t, b, &d)
		if d.ID != id || d.Request.Body.Data == nil || *d.Request.Body.Data != `{"a":1}` || d.Request.Body.Encoding != "text" {
			t.Fatalf("request side = %s", b)
		}
		if d.Response.Body.Encoding != "base64" || d.Response.Body.Data == nil || *d.Response.Body.Data != "//4A" {
			t.Fatalf("response side = %s", b)
		}
		if d.Request.Headers["User-Agent"][0] != "curl/8.7.1" || d.Response.Headers["Content-Type"][0] != "text/plain" {
			t.Fatalf("headers = %s", b)
		}
	})
	t.Run("DetailWrongTunnel", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/other/requests/"+id, key, "")
		wantError(t, st, b, 404, "not_found")
	})
	t.Run("ListAfterClose", func(t *testing.T) {
		st, _, b := e.do(t, "DELETE", "/v1/tunnels/"+tun, key, "")
		wantStatus(t, st, 204, b)
		_, _, b = e.do(t, "GET", "/api/v1/me/tunnels/stripe-dev/requests", key, "")
		if !strings.Contains(string(b), id) {
			t.Fatalf("closed tunnel's requests gone: %s", b)
		}
	})
	t.Run("OsmRouterRequests", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/v1/requests", key, "")
		wantStatus(t, st, 200, b)
		var l struct {
			Requests []map[string]any `json:"requests"`
		}
		mustJSON(t, b, &l)
		if len(l.Requests) != 1 {
			t.Fatalf("requests = %s", b)
		}
		for _, f := range []string{"id", "tunnel", "method", "path", "status", "durationMs", "bytes", "ip", "userAgent", "proto", "host", "createdAt"} {
			if _, ok := l.Requests[0][f]; !ok {
				t.Errorf("field %q missing in %s", f, b)
			}
		}
	})
}

func TestSeeds_OsmRouter(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "free", false)
	tun := e.tunnel(t, acc, "my-app", 0)
	e.tunnel(t, acc, "", 20001)

	t.Run("Me", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/v1/me", key, "")
		wantStatus(t, st, 200, b)
		if got := canon(t, b); got != `{"email":"ada@example.com","id":"`+acc+`","name":"ada","operator":false,"plan":"free"}` {
			t.Fatalf("me = %s", got)
		}
	})
	t.Run("Tunnels", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/v1/tunnels", key, "")
		wantStatus(t, st, 200, b)
		var l struct {
			Tunnels []tunnelJSON `json:"tunnels"`
			Next    *string      `json:"next_page_uri"`
		}
		mustJSON(t, b, &l)
		if len(l.Tunnels) != 2 || l.Tunnels[0].Proto != "tcp" || *l.Tunnels[0].Port != 20001 || l.Tunnels[1].ID != tun || l.Tunnels[1].Status != "live" {
			t.Fatalf("tunnels = %s", b)
		}
	})
	t.Run("DeleteTunnel", func(t *testing.T) {
		st, _, b := e.do(t, "DELETE", "/v1/tunnels/"+tun, key, "")
		wantStatus(t, st, 204, b)
		_, _, b = e.do(t, "GET", "/v1/tunnels", key, "")
		var l struct {
			Tunnels []tunnelJSON `json:"tunnels"`
		}
		mustJSON(t, b, &l)
		if l.Tunnels[1].Status != "closed" || *l.Tunnels[1].CloseReason != "released" {
			t.Fatalf("tunnels = %s", b)
		}
		st, _, b = e.do(t, "DELETE", "/v1/tunnels/tcp-20001", key, "")
		wantStatus(t, st, 204, b)
	})
	t.Run("Unauthorized", func(t *testing.T) {
		// A key one character off, never the key itself (it may end in "x").
		last := "x"
		if strings.HasSuffix(key, "x") {
			last = "y"
		}
		for _, k := range []string{"", "ak_nope", key[:len(key)-1] + last} {
			st, h, b := e.do(t, "GET", "/v1/usage", k, "")
			wantError(t, st, b, 401, "unauthorized")
			if h.Get("WWW-Authenticate") == "" {
				t.Fatal("no WWW-Authenticate")
			}
		}
	})
}

func TestSeeds_Root(t *testing.T) {
	e := mustEnv(t)
	_, key := e.account(t, "ada@example.com", "free", false)
	for _, path := range []string{"/", "/api/v1"} {
		t.Run("JSON"+path, func(t *testing.T) {
			st, h, b := e.do(t, "GET", path, key, "", "ngrok-version", "2", "Accept", "*/*")
			wantStatus(t, st, 200, b)
			if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Fatalf("content type %q", h.Get("Content-Type"))
			}
			var r rootJSON
			mustJSON(t, b, &r)
			found := false
			for _, res := range r.Resources {
				if res.Name == "tunnels" && res.URI == e.ts.URL+"/api/v1/me/tunnels" {
					found = true
				}
			}
			if !found {
				t.Fatalf("root = %s", b)
			}
		})
	}
	t.Run("ErrNoKey", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/", "", "")
		wantError(t, st, b, 401, "unauthorized")
	})
	t.Run("HTML", func(t *testing.T) {
		st, h, b := e.do(t, "GET", "/", "", "", "Accept", "text/html,application/xhtml+xml")
		wantStatus(t, st, 200, b)
		if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(b), `src="/assets/app.js"`) {
			t.Fatalf("html = %s", b)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("Content-Security-Policy = %q", csp)
		}
	})
}

func TestAdmin_Accounts(t *testing.T) {
	e := mustEnv(t)
	_, opKey := e.account(t, "op@example.com", "pro", true)
	_, userKey := e.account(t, "user@example.com", "free", false)
	var created newAccountJSON
	t.Run("Create", func(t *testing.T) {
		st, _, b := e.do(t, "POST", "/api/v1/admin/accounts", opKey, `{"email":"New@Example.com","name":"New","plan":"free"}`)
		wantStatus(t, st, 201, b)
		mustJSON(t, b, &created)
		if created.Email != "new@example.com" || created.Plan != "free" || !strings.HasPrefix(created.Key, "ak_") {
			t.Fatalf("created = %s", b)
		}
		st, _, b = e.do(t, "GET", "/v1/me", created.Key, "")
		wantStatus(t, st, 200, b)
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		st, _, b := e.do(t, "POST", "/api/v1/admin/accounts", opKey, `{"email":"new@example.com"}`)
		wantError(t, st, b, 409, "conflict")
	})
	t.Run("List", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/admin/accounts?limit=2", opKey, "")
		wantStatus(t, st, 200, b)
		var l struct {
			Accounts []accountJSON `json:"accounts"`
			Next     *string       `json:"next_page_uri"`
		}
		mustJSON(t, b, &l)
		if len(l.Accounts) != 2 || l.Accounts[0].ID != created.ID || l.Next == nil {
			t.Fatalf("list = %s", b)
		}
		st, _, b = e.do(t, "GET", *l.Next, opKey, "")
		wantStatus(t, st, 200, b)
		mustJSON(t, b, &l)
		if len(l.Accounts) != 1 || l.Accounts[0].Email != "op@example.com" || l.Next != nil {
			t.Fatalf("page 2 = %s", b)
		}
	})
	t.Run("Patch", func(t *testing.T) {
		st, _, b := e.do(t, "PATCH", "/api/v1/admin/accounts/"+created.ID, opKey, `{"plan":"pro"}`)
		wantStatus(t, st, 200, b)
		_, _, b = e.do(t, "GET", "/v1/me", created.Key, "")
		if !strings.Contains(string(b), `"plan":"pro"`) {
			t.Fatalf("me after patch = %s", b)
		}
		st, _, b = e.do(t, "PATCH", "/api/v1/admin/accounts/"+created.ID, opKey, `{"plan":"gold"}`)
		wantError(t, st, b, 400, "invalid")
		st, _, b = e.do(t, "PATCH", "/api/v1/admin/accounts/acc_01ARZ3NDEKTSV4RRFFQ69G5FAV", opKey, `{"plan":"pro"}`)
		wantError(t, st, b, 404, "not_found")
	})
	t.Run("ErrNotOperator", func(t *testing.T) {
		for _, m := range []string{"GET", "POST", "PATCH"} {
			path := "/api/v1/admin/accounts"
			if m == "PATCH" {
				path += "/" + created.ID
			}
			st, _, b := e.do(t, m, path, userKey, `{"plan":"pro"}`)
			wantError(t, st, b, http.StatusForbidden, "forbidden")
		}
	})
}

func TestTunnels_StatusLive(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "pro", false)
	var live []string
	for i := 0; i < 5; i++ {
		id := e.tunnel(t, acc, "live-"+itoa(i), 0)
		if i%2 == 0 {
			live = append(live, id)
			continue
		}
		st, _, b := e.do(t, "DELETE", "/v1/tunnels/"+id, key, "")
		wantStatus(t, st, 204, b)
	}
	ids, pages := walkPages(t, e, key, "/v1/tunnels?status=live&limit=2", "tunnels", str("id"))
	if pages != 2 || len(ids) != 3 || ids[0] != live[2] || ids[2] != live[0] {
		t.Fatalf("live tunnels %v over %d pages, want %v newest first", ids, pages, live)
	}
	st, _, b := e.do(t, "GET", "/v1/tunnels?status=dead", key, "")
	wantError(t, st, b, 400, "invalid")
}
