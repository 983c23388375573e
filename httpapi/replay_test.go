package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/projections"
)

// fakeReplayer records its calls and answers with err, or a capture that
// echoes the call. The real one (the edge) is tested end to end in
// cmd/warren/replay_routes_test.go.
type fakeReplayer struct {
	mu    sync.Mutex
	calls []replayCall
	err   error
}

type replayCall struct {
	acc, sub string
	id       ulid.ULID
	o        domain.ReplayOverrides
}

func (f *fakeReplayer) Replay(_ context.Context, acc, sub string, id ulid.ULID, o domain.ReplayOverrides) (domain.CapturedRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, replayCall{acc, sub, id, o})
	if f.err != nil {
		return domain.CapturedRequest{}, f.err
	}
	path := "/orig"
	if o.Path != nil {
		path = *o.Path
	}
	return domain.CapturedRequest{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Tunnel: sub, Kind: domain.KindHTTP, Method: "POST",
		Path: path, Status: 201, ReplayOf: domain.RequestIDPrefix + id.String(),
		CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}, nil
}

// last returns the latest call, failing when there is none.
func (f *fakeReplayer) last(tb testing.TB) replayCall {
	tb.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		tb.Fatal("the replayer was not called")
	}
	return f.calls[len(f.calls)-1]
}

func (f *fakeReplayer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func TestServer_ReplayRequest(t *testing.T) {
	fake := &fakeReplayer{}
	e := mustEnv(t, func(c *Config) { c.Replayer = fake })
	acc, key := e.account(t, "replay@example.com", "pro", false)
	id := ulid.MustParse("01JBBBBBBBBBBBBBBBBBBBBBBB")
	path := "/api/v1/me/tunnels/hooks/requests/req_" + id.String() + "/replay"

	t.Run("OK", func(t *testing.T) {
		st, h, body := e.do(t, "POST", path, key, `{"method":"put","path":"/via-api?a=1&b=2","headers":{"X-A":"1","X-Gone":""},"body":"new"}`,
			"Content-Type", "application/json")
		wantStatus(t, st, 201, body)
		if ct := h.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		c := fake.last(t)
		if c.acc != acc || c.sub != "hooks" || c.id != id {
			t.Fatalf("call %+v", c)
		}
		o := c.o
		if o.Method == nil || *o.Method != "put" || o.Path == nil || *o.Path != "/via-api?a=1&b=2" || o.Body == nil || *o.Body != "new" ||
			len(o.Headers) != 2 || o.Headers["X-A"] != "1" || o.Headers["X-Gone"] != "" {
			t.Fatalf("overrides %+v", o)
		}
		// The answer is the request summary the lists and SSE show.
		want := `{"bytes":0,"bytesIn":0,"bytesOut":0,"createdAt":"2025-01-02T03:04:05Z","durationMs":0,"durationUs":0,"error":null,"host":"",` +
			`"id":"req_01JAAAAAAAAAAAAAAAAAAAAAAA","ip":"","kind":"http","method":"POST","modified":false,"path":"/via-api?a=1\u0026b=2","proto":"",` +
			`"replayOf":"req_` + id.String() + `","status":201,"ttfbMs":0,"ttfbUs":0,"tunnel":"hooks","userAgent":""}`
		if got := canon(t, body); got != want {
			t.Fatalf("body\n got %s\nwant %s", got, want)
		}
		if !strings.Contains(string(body), `"path":"/via-api?a=1&b=2"`) {
			t.Fatalf("the API's JSON keeps & unescaped: %s", body)
		}
	})
	t.Run("NoOverrides", func(t *testing.T) {
		for _, b := range []string{"", "  \n"} {
			st, _, body := e.do(t, "POST", path, key, b, "Content-Type", "application/json")
			wantStatus(t, st, 201, body)
			if o := fake.last(t).o; o.Method != nil || o.Path != nil || o.Body != nil || o.Headers != nil {
				t.Fatalf("body %q: overrides %+v", b, o)
			}
		}
	})
	t.Run("BareULID", func(t *testing.T) {
		st, _, body := e.do(t, "POST", "/api/v1/me/tunnels/hooks/requests/"+id.String()+"/replay", key, "")
		wantStatus(t, st, 201, body)
		if c := fake.last(t); c.id != id {
			t.Fatalf("call %+v", c)
		}
	})
	t.Run("ContentTypes", func(t *testing.T) {
		// curl -d '{…}' sends the form type: a body that parses as JSON is JSON.
		for _, tc := range []struct {
			ct, body string
			want     int
			code     string
		}{
			{"application/x-www-form-urlencoded", `{"path":"/via-curl"}`, 201, ""},
			{"", `{"path":"/via-curl"}`, 201, ""},
			{"application/merge-patch+json", `{"path":"/via-curl"}`, 201, ""},
			{"application/x-www-form-urlencoded", `{"path":`, 400, "invalid"}, // looks like JSON: a typo is a 400
			{"application/x-www-form-urlencoded", `path=/x`, 415, "unsupported_media_type"},
			{"text/plain", `{"path":"/x"}`, 415, "unsupported_media_type"},
		} {
			n := fake.count()
			var hdr []string
			if tc.ct != "" {
				hdr = []string{"Content-Type", tc.ct}
			}
			st, _, body := e.do(t, "POST", path, key, tc.body, hdr...)
			if tc.want != 201 {
				wantError(t, st, body, tc.want, tc.code)
				if fake.count() != n {
					t.Fatalf("%q %s: replayed despite the error", tc.ct, tc.body)
				}
				continue
			}
			wantStatus(t, st, 201, body)
			if o := fake.last(t).o; o.Path == nil || *o.Path != "/via-curl" {
				t.Fatalf("%q %s: overrides %+v", tc.ct, tc.body, o)
			}
		}
	})
	t.Run("ErrBadOverrides400", func(t *testing.T) {
		for b, want := range map[string]string{
			`{"heders":{"X":"1"}}`: `unknown field \"heders\"`,
			`{"method":1}`:         `field \"method\" must be a string`,
			`[1]`:                  "bad overrides",
			`{"path":"/x"`:         "bad overrides",
		} {
			st, _, body := e.do(t, "POST", path, key, b, "Content-Type", "application/json")
			wantError(t, st, body, 400, "invalid")
			if !strings.Contains(string(body), "bad overrides") || !strings.Contains(string(body), want) {
				t.Fatalf("%s: body %s, want %s in it", b, body, want)
			}
		}
		// Overrides that would send something else than the new capture
		// records are refused before anything is sent (domain's table test
		// has the rest).
		for _, b := range []string{`{"method":""}`, `{"headers":{"Host":"evil.example"}}`, `{"headers":{"Bad Header":"x"}}`,
			`{"headers":{"X-A":"a\r\nInjected: 1"}}`, `{"path":"/a b"}`} {
			st, _, body := e.do(t, "POST", path, key, b, "Content-Type", "application/json")
			wantError(t, st, body, 400, "invalid")
		}
	})
	t.Run("ErrTooLarge413", func(t *testing.T) {
		big := `{"body":"` + strings.Repeat("x", 64<<20) + `"}`
		st, _, body := e.do(t, "POST", path, key, big, "Content-Type", "application/json")
		wantError(t, st, body, 413, "too_large")
	})
	t.Run("ErrBadID404", func(t *testing.T) {
		for _, raw := range []string{"nope", "req_nope", "stream", "export"} {
			st, _, body := e.do(t, "POST", "/api/v1/me/tunnels/hooks/requests/"+raw+"/replay", key, "")
			wantError(t, st, body, 404, "not_found")
			if want := "request " + raw + " not found"; !strings.Contains(string(body), want) {
				t.Fatalf("body %s, want %q", body, want)
			}
		}
	})
	t.Run("ErrUnauthorized401", func(t *testing.T) {
		n := fake.count()
		st, h, body := e.do(t, "POST", path, "", "")
		wantError(t, st, body, 401, "unauthorized")
		if h.Get("WWW-Authenticate") == "" || fake.count() != n {
			t.Fatalf("headers %v, calls %d → %d", h, n, fake.count())
		}
	})
	t.Run("ErrWrongMethod405", func(t *testing.T) {
		st, h, body := e.do(t, "GET", path, key, "")
		wantError(t, st, body, 405, "method_not_allowed")
		if a := h.Get("Allow"); !strings.Contains(a, "POST") || strings.Contains(a, "GET") {
			t.Fatalf("Allow %q", h.Get("Allow"))
		}
	})
	t.Run("ErrorsMapped", func(t *testing.T) {
		// The edge's errors go through the API's one status table.
		for _, tc := range []struct {
			err  error
			want int
			code string
		}{
			{domain.Errorf(domain.CodeNotFound, "request req_x not found on tunnel \"hooks\""), 404, "not_found"},
			{domain.Errorf(domain.CodeConflict, "tunnel \"hooks\" is offline"), 409, "conflict"},
			{domain.Errorf(domain.CodeInvalid, "only HTTP requests can be replayed"), 400, "invalid"},
			{domain.Errorf(domain.CodeGone, "the captured body was pruned by retention"), 410, "gone"},
			{errors.New("disk on fire"), 500, "internal"},
		} {
			fake.mu.Lock()
			fake.err = tc.err
			fake.mu.Unlock()
			st, _, body := e.do(t, "POST", path, key, "")
			wantError(t, st, body, tc.want, tc.code)
			if tc.want == 500 && strings.Contains(string(body), "disk on fire") {
				t.Fatalf("internal cause shown: %s", body)
			}
		}
		fake.mu.Lock()
		fake.err = nil
		fake.mu.Unlock()
	})
	t.Run("ErrNoEdge503", func(t *testing.T) {
		e := mustEnv(t)
		_, key := e.account(t, "alone@example.com", "pro", false)
		st, _, body := e.do(t, "POST", path, key, "")
		wantError(t, st, body, 503, "unavailable")
	})
}

func TestServer_ExportRequest(t *testing.T) {
	e := mustEnv(t)
	a, aKey := e.account(t, "a@example.com", "pro", false)
	_, bKey := e.account(t, "b@example.com", "pro", false)
	tun := e.tunnel(t, a, "alpha", 0)
	evs, err := e.log.Append(context.Background(),
		captureDraft(a, tun, "alpha", 0, []byte(`{"hello":"world"}`), []byte("created")),
		captureDraft(a, tun, "alpha", 1, []byte{0xff, 0x00, 0xfe}, nil),
		captureDraft(a, tun, "alpha", 2, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{evs[0].ID.String(), evs[1].ID.String(), evs[2].ID.String()}
	get := func(t *testing.T, id, key string) (int, []byte) {
		t.Helper()
		st, _, body := e.do(t, "GET", "/api/v1/me/requests/"+id+"/export", key, "")
		return st, body
	}

	t.Run("OK", func(t *testing.T) {
		for i, want := range [][]byte{[]byte(`{"hello":"world"}`), {0xff, 0x00, 0xfe}, {}} {
			st, body := get(t, "req_"+ids[i], aKey)
			wantStatus(t, st, 200, body)
			var ex RequestExport
			mustJSON(t, body, &ex)
			if ex.Request.ID != "req_"+ids[i] || ex.Request.Tunnel != "alpha" || ex.Request.Path != "/item/"+itoa(i) ||
				ex.Request.Method != "GET" || ex.Request.ReqHeaders["User-Agent"][0] != "curl/8.7.1" {
				t.Fatalf("request %+v", ex.Request)
			}
			if ex.RequestBody != base64.StdEncoding.EncodeToString(want) {
				t.Fatalf("requestBody %q, want base64 of %q", ex.RequestBody, want)
			}
		}
	})
	t.Run("Shape", func(t *testing.T) {
		// The full capture (domain.CapturedRequest's own JSON) and the body.
		st, body := get(t, ids[0], aKey) // a bare ULID works too
		wantStatus(t, st, 200, body)
		var top map[string]any
		mustJSON(t, body, &top)
		if len(top) != 2 || top["requestBody"] != base64.StdEncoding.EncodeToString([]byte(`{"hello":"world"}`)) {
			t.Fatalf("top level %v", top)
		}
		req, _ := top["request"].(map[string]any)
		for _, f := range []string{"id", "accountId", "tunnelId", "tunnel", "kind", "method", "path", "status", "ttfbMs", "durationMs",
			"bytesIn", "bytesOut", "ip", "userAgent", "proto", "host", "requestHeaders", "responseHeaders", "requestBody", "responseBody", "createdAt"} {
			if _, ok := req[f]; !ok {
				t.Fatalf("request lacks %q: %v", f, req)
			}
		}
	})
	t.Run("PrunedBodyIsEmpty", func(t *testing.T) {
		// The export says what is stored; the capture's requestBody info
		// (size, sha256) still tells a client that something was there.
		if n, err := projections.SweepBodies(context.Background(), e.log, time.Now().AddDate(1, 0, 0), 100, 0); err != nil || n == 0 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		st, body := get(t, "req_"+ids[0], aKey)
		wantStatus(t, st, 200, body)
		var ex RequestExport
		mustJSON(t, body, &ex)
		if ex.RequestBody != "" || ex.Request.ReqBody.Size != int64(len(`{"hello":"world"}`)) {
			t.Fatalf("export %+v", ex)
		}
	})
	t.Run("ErrOtherAccount404", func(t *testing.T) {
		st, body := get(t, "req_"+ids[0], bKey)
		wantError(t, st, body, 404, "not_found")
	})
	t.Run("ErrBadID404", func(t *testing.T) {
		for _, raw := range []string{"nope", "req_nope", "stream"} {
			st, body := get(t, raw, aKey)
			wantError(t, st, body, 404, "not_found")
			if want := "request " + raw + " not found"; !strings.Contains(string(body), want) {
				t.Fatalf("body %s, want %q", body, want)
			}
		}
	})
	t.Run("ErrUnauthorized401", func(t *testing.T) {
		st, body := get(t, "req_"+ids[0], "")
		wantError(t, st, body, 401, "unauthorized")
	})
}

// TestRoutes_Mount: GET /api/v1/me/requests/stream is mounted on ":id" so
// the export fits beside it; any other id is still no route, and is
// answered before authentication, as the router answers unknown paths.
func TestRoutes_Mount(t *testing.T) {
	e := mustEnv(t)
	_, key := e.account(t, "m@example.com", "pro", false)
	for _, k := range []string{"", key} {
		st, _, body := e.do(t, "GET", "/api/v1/me/requests/req_01JBBBBBBBBBBBBBBBBBBBBBBB", k, "")
		wantError(t, st, body, 404, "not_found")
		if !strings.Contains(string(body), "no such route: GET /api/v1/me/requests/req_01JBBBBBBBBBBBBBBBBBBBBBBB") {
			t.Fatalf("body %s", body)
		}
	}
	st, _, body := e.do(t, "GET", "/api/v1/me/requests/stream", "", "")
	wantError(t, st, body, 401, "unauthorized")
	for _, rt := range e.srv.Routes() {
		if strings.Contains(rt[1], "/me/requests/:id") && !strings.HasSuffix(rt[1], "/export") {
			t.Fatalf("Routes lists the mount %v, not the documented path", rt)
		}
	}
	t.Run("ErrBadMount", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic for a mount that does not fit its path")
			}
		}()
		mounted(route{Path: "/a/b/stream", Mount: "/a/c/:id"}, nil, nil)
	})
}
