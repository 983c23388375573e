package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// cookieFixture is an operator account with a password, a key, things of
// every kind, a second account and a second session: enough for every
// route to find what its path names.
type cookieFixture struct {
	e      *testEnv
	key    string // the operator's API key
	cookie string // a session of the same account
	params map[string]string
}

func newCookieFixture(t *testing.T) *cookieFixture {
	t.Helper()
	noDNS := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in this test")
	}}
	e := mustEnv(t, cheapPasswords, func(c *Config) { c.Resolver = noDNS })
	op, key := e.account(t, "op@example.com", "pro", true)
	b, _ := e.account(t, "b@example.com", "free", false)
	e.mustPassword(t, op, "operator pass")
	tun := e.tunnel(t, op, "alpha", 0)
	e.tunnel(t, op, "beta", 0)
	evs, err := e.log.Append(context.Background(), captureDraft(op, tun, "alpha", 0, []byte(`{"a":1}`), []byte("ok")))
	if err != nil {
		t.Fatal(err)
	}
	f := &cookieFixture{e: e, key: key, params: map[string]string{}}
	for _, path := range []string{"/api/v1/me/reservations", "/v1/keys", "/v1/domains"} {
		body := map[string]string{"/api/v1/me/reservations": `{"subdomain":"alpha-res"}`, "/v1/keys": `{"description":"spare"}`,
			"/v1/domains": `{"name":"app.example.com"}`}[path]
		st, _, out := e.do(t, "POST", path, key, body, "Content-Type", "application/json")
		wantStatus(t, st, 201, out)
		if path != "/api/v1/me/reservations" {
			var x struct{ ID string }
			mustJSON(t, out, &x)
			f.params[path] = x.ID
		}
	}
	f.cookie = e.mustSignIn(t, "op@example.com", "operator pass")
	e.mustSignIn(t, "op@example.com", "operator pass") // another session, for DELETE /api/v1/me/sessions/:id
	ss, err := projections.View(e.log.DB(), func(tx *bolt.Tx) ([]domain.Session, error) { return projections.Sessions(tx, op) })
	if err != nil || len(ss) != 2 {
		t.Fatalf("%d sessions, %v", len(ss), err)
	}
	f.params["session"] = ss[0].ID // the newest: not f.cookie's
	f.params["tunnel"], f.params["request"], f.params["account"] = tun, "req_"+evs[0].ID.String(), b
	return f
}

// fill puts real values in a route's path parameters.
func (f *cookieFixture) fill(method, path string) string {
	id := ""
	switch {
	case strings.HasPrefix(path, "/v1/tunnels/"):
		id = f.params["tunnel"]
	case strings.Contains(path, "/requests/"):
		id = f.params["request"]
	case strings.HasPrefix(path, "/v1/keys/"):
		id = f.params["/v1/keys"]
	case strings.HasPrefix(path, "/v1/domains/"):
		id = f.params["/v1/domains"]
	case strings.HasPrefix(path, "/api/v1/admin/accounts/"):
		id = f.params["account"]
	case strings.HasPrefix(path, "/api/v1/me/sessions/"):
		id = f.params["session"]
	}
	sub := "alpha"
	if strings.HasPrefix(path, "/api/v1/me/reservations/") {
		sub = "alpha-res"
	}
	r := strings.NewReplacer(":sub", sub, ":id", id, ":month", time.Now().UTC().Format("2006-01"))
	return r.Replace(path)
}

// cookieRouteBodies are the bodies of the writes, by method and path.
var cookieRouteBodies = map[string]string{
	"POST /api/v1/me/reservations":                     "{\"subdomain\":\"new-res\"}",
	"POST /api/v1/admin/accounts":                      "{\"email\":\"c@example.com\"}",
	"PATCH /api/v1/admin/accounts/:id":                 "{\"plan\":\"pro\"}",
	"POST /v1/keys":                                    "{\"description\":\"another\"}",
	"POST /v1/domains":                                 "{\"name\":\"new.example.com\"}",
	"PUT /api/v1/admin/accounts/:id/password":          "{\"password\":\"a new password\"}",
	"POST /api/v1/me/tunnels/:sub/requests/:id/replay": "{}",
}

// call sends one request with the key or the cookie and returns the status,
// the content type and the body's shape.
func (f *cookieFixture) call(t *testing.T, method, pattern string, withCookie bool) (int, string, string) {
	t.Helper()
	path := f.fill(method, pattern)
	hdr := []string{"Content-Type", "application/json", "Accept", "application/json"}
	key := f.key
	if withCookie {
		key, hdr = "", append(hdr, "Cookie", f.cookie, "Sec-Fetch-Site", "same-origin")
	}
	if strings.HasSuffix(path, "/stream") {
		c := f.e.openSSE(t, path, map[bool]string{true: "Cookie: " + f.cookie, false: key}[withCookie], "")
		c.close()
		return 200, "text/event-stream", ""
	}
	st, h, body := f.e.do(t, method, path, key, cookieRouteBodies[method+" "+pattern], hdr...)
	ct := h.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/json") {
		return st, ct, ""
	}
	return st, ct, shapeOf(t, body)
}

// shapeOf is a JSON body with every leaf replaced by its type and every
// array by the shape of its first item: what must match between a key's
// answer and a session's (ids and times differ between the fixtures).
func shapeOf(t *testing.T, body []byte) string {
	t.Helper()
	var v any
	if len(body) == 0 {
		return ""
	}
	mustJSON(t, body, &v)
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, vv := range x {
				out[k] = walk(vv)
			}
			return out
		case []any:
			if len(x) == 0 {
				return []any{}
			}
			return []any{walk(x[0])}
		case nil:
			return "null"
		case string:
			return "string"
		case float64:
			return "number"
		case bool:
			return "bool"
		}
		return "?"
	}
	b, _ := json.Marshal(walk(v))
	return string(b)
}

// TestCookieWorksLikeKey calls every route of the router with the session
// cookie instead of the API key, each on a fixture of its own (writes
// change state), and wants the same status, content type and body shape.
func TestCookieWorksLikeKey(t *testing.T) {
	skip := map[string]string{
		"POST /api/v1/session":   "signs in: takes neither",
		"POST /api/v1/password":  "takes a link's token: neither",
		"DELETE /api/v1/session": "ends the cookie's session: a key has none (400, TestSessions_Revoke)",
		// device_approve.go: a key is refused by design (TestDeviceApprovalNeedsASignedInPersonNotAKey)
		"GET /api/v1/device/pending/:user_code": "session only: a key gets 403",
		"POST /api/v1/device/approve":           "session only: a key gets 403",
		"POST /api/v1/device/deny":              "session only: a key gets 403",
	}
	routes := mustEnv(t).srv.Routes()
	routes = append(routes, [2]string{"GET", "/api/v1/me/tunnels/:sub/requests/stream"})
	sort.Slice(routes, func(i, j int) bool { return routes[i][1]+routes[i][0] < routes[j][1]+routes[j][0] })
	for _, rt := range routes {
		name := rt[0] + " " + rt[1]
		if why, ok := skip[name]; ok {
			t.Logf("skipped %s: %s", name, why)
			continue
		}
		t.Run(name, func(t *testing.T) {
			kst, kct, kshape := newCookieFixture(t).call(t, rt[0], rt[1], false)
			cst, cct, cshape := newCookieFixture(t).call(t, rt[0], rt[1], true)
			t.Logf("%d %s %s", cst, cct, cshape)
			if kst != cst || kct != cct || kshape != cshape {
				t.Fatalf("with a key: %d %s %s\nwith the cookie: %d %s %s", kst, kct, kshape, cst, cct, cshape)
			}
			if cst == http.StatusUnauthorized || cst == http.StatusForbidden || cst == http.StatusUnsupportedMediaType {
				t.Fatalf("the cookie was refused: %d %s", cst, cshape)
			}
		})
	}
}

// TestTenancy_Cookie is TestTenancy's isolation with B signed in by
// cookie: A's things are not found, not listed and not streamed.
func TestTenancy_Cookie(t *testing.T) {
	e := mustEnv(t, cheapPasswords)
	a, _ := e.account(t, "a@example.com", "pro", false)
	b, _ := e.account(t, "b@example.com", "pro", false)
	e.mustPassword(t, b, "battery staple")
	cb := e.mustSignIn(t, "b@example.com", "battery staple")
	tun := e.tunnel(t, a, "alpha", 0)
	evs, err := e.log.Append(context.Background(), captureDraft(a, tun, "alpha", 0, []byte("secret"), nil))
	if err != nil {
		t.Fatal(err)
	}
	req := "req_" + evs[0].ID.String()
	if _, err := e.log.Execute(context.Background(), projections.Reserve(a, "alpha-res")); err != nil {
		t.Fatal(err)
	}
	asB := []string{"Cookie", cb, "Content-Type", "application/json"}
	t.Run("NotFound", func(t *testing.T) {
		for _, c := range [][2]string{
			{"DELETE", "/api/v1/me/reservations/alpha-res"}, {"DELETE", "/api/v1/me/tunnels/alpha"},
			{"DELETE", "/v1/tunnels/" + tun}, {"GET", "/api/v1/me/tunnels/alpha/requests/" + req},
			{"GET", "/api/v1/me/requests/" + req + "/export"},
		} {
			st, _, body := e.do(t, c[0], c[1], "", "", asB...)
			wantError(t, st, body, 404, "not_found")
		}
	})
	t.Run("ListsEmpty", func(t *testing.T) {
		for _, p := range []string{"/api/v1/me/tunnels/alpha/requests", "/v1/requests", "/v1/tunnels", "/api/v1/me/reservations", "/api/v1/me/tunnels", "/api/v1/me/events"} {
			st, _, body := e.do(t, "GET", p, "", "", asB...)
			wantStatus(t, st, 200, body)
			if strings.Contains(string(body), "alpha") || strings.Contains(string(body), tun) || strings.Contains(string(body), req) {
				t.Fatalf("%s leaks A's things: %s", p, body)
			}
		}
	})
	t.Run("ErrOperatorRoute", func(t *testing.T) {
		st, _, body := e.do(t, "GET", "/api/v1/admin/accounts", "", "", asB...)
		wantError(t, st, body, 403, "forbidden")
	})
	t.Run("Stream", func(t *testing.T) {
		c := e.openSSE(t, "/api/v1/me/tunnels/alpha/requests/stream", "Cookie: "+cb, "00000000000000000000000000")
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
}

// TestSSEStreamEndsWithSession: a stream opened with the cookie ends
// within 1 s of its session's revocation (as a key's does with the key),
// and outlives the revocation of another session of the account.
func TestSSEStreamEndsWithSession(t *testing.T) {
	e := mustEnv(t, cheapPasswords, func(c *Config) { c.Heartbeat = time.Hour })
	a, key := e.account(t, "a@example.com", "pro", false)
	e.mustPassword(t, a, "correct horse")
	mine, other := e.mustSignIn(t, "a@example.com", "correct horse"), e.mustSignIn(t, "a@example.com", "correct horse")
	c := e.openSSE(t, "/api/v1/me/events/stream", "Cookie: "+mine, "")
	defer c.close()
	ended := make(chan error, 1)
	go func() {
		for {
			if _, err := c.next(); err != nil {
				ended <- err
				return
			}
		}
	}()
	st, _, b := e.do(t, "DELETE", "/api/v1/session", "", "", "Cookie", other) // another session ends
	wantStatus(t, st, 204, b)
	select {
	case err := <-ended:
		t.Fatalf("the stream ended with another session: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	var ss struct{ Sessions []sessionJSON }
	_, _, b = e.do(t, "GET", "/api/v1/me/sessions", "", "", "Cookie", mine)
	mustJSON(t, b, &ss)
	st, _, b = e.do(t, "DELETE", "/api/v1/me/sessions/"+ss.Sessions[0].ID, key, "") // revoked with the key
	wantStatus(t, st, 204, b)
	revokedAt := time.Now()
	select {
	case <-ended:
		if d := time.Since(revokedAt); d > time.Second {
			t.Fatalf("the stream ended %v after the revocation, want within 1 s", d)
		}
	case <-time.After(5 * time.Second):
		c.close()
		<-ended
		t.Fatal("the stream still delivered 5 s after its session was revoked")
	}
}
