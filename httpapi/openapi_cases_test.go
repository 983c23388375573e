package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// send makes one request through the contract and checks the status. key
// is sent as a bearer token ("" = none); a body is JSON unless hdr sets
// another Content-Type.
func (k *contract) send(tb testing.TB, ctx context.Context, want int, method, url, key, body string, hdr ...string) (http.Header, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := k.Client().Do(req)
	if err != nil {
		tb.Error(err) // go on: one run shows every mismatch
		return nil, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != want {
		tb.Fatalf("%s %s: status %d, want %d; body %s", method, url, resp.StatusCode, want, bytes.TrimSpace(b))
	}
	return resp.Header, b
}

// TestOpenAPI_Contract sends real requests to every route of a real API
// (with a real edge and agent behind replay) and checks each request and
// answer against docs/openapi.yaml, success and error cases, then that
// every documented operation was exercised both ways.
func TestOpenAPI_Contract(t *testing.T) {
	dns := startFakeDNS(t)
	resolver, err := NewDNSResolver(dns.Addr())
	if err != nil {
		t.Fatal(err)
	}
	re := mustReplayEnv(t, "pro", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
	}), cheapPasswords, func(c *Config) { c.Resolver = resolver })
	e, key := re.testEnv, re.key
	opAcc, op := e.account(t, "op@example.com", "pro", true)
	k := newContract(t, e.ts.URL, re.edgeURL)
	bg := context.Background()
	off := offContract(bg)
	u := func(path string) string { return e.ts.URL + path }
	req := strings.TrimSuffix(re.path, "/replay") // /api/v1/me/tunnels/hooks/requests/req_…
	reqID := req[strings.LastIndexByte(req, '/')+1:]
	const unknownReq = "req_01JBBBBBBBBBBBBBBBBBBBBBBB"

	// Roots, plan, tunnels.
	k.send(t, bg, 200, "GET", u("/"), key, "")
	k.send(t, bg, 200, "GET", u("/"), "", "", "Accept", "text/html")
	k.send(t, bg, 401, "GET", u("/"), "", "")
	k.send(t, bg, 200, "GET", u("/api/v1"), key, "")
	k.send(t, off, 401, "GET", u("/api/v1"), "", "")
	k.send(t, bg, 200, "GET", u("/api/v1/me/plan"), key, "")
	k.send(t, off, 401, "GET", u("/api/v1/me/plan"), "", "")
	k.send(t, bg, 200, "GET", u("/api/v1/me/tunnels"), key, "")
	k.send(t, off, 401, "GET", u("/api/v1/me/tunnels"), "", "")
	k.send(t, bg, 200, "GET", u("/v1/me"), key, "")
	k.send(t, off, 401, "GET", u("/v1/me"), "", "")
	k.send(t, bg, 200, "GET", u("/v1/tunnels"), key, "")
	k.send(t, bg, 200, "GET", u("/v1/tunnels?status=live&limit=1"), key, "")
	k.send(t, off, 400, "GET", u("/v1/tunnels?status=closed"), key, "")

	// Captured requests: lists, one, exports, streams, replay.
	k.send(t, bg, 200, "GET", u("/api/v1/me/tunnels/hooks/requests"), key, "")
	k.send(t, off, 400, "GET", u("/api/v1/me/tunnels/hooks/requests?limit=0"), key, "")
	k.send(t, bg, 200, "GET", u("/v1/requests?tunnel=hooks"), key, "")
	k.send(t, bg, 400, "GET", u("/v1/requests?tunnel=Not_A_Name"), key, "")
	k.send(t, bg, 200, "GET", u(req), key, "")
	k.send(t, bg, 404, "GET", u("/api/v1/me/tunnels/hooks/requests/"+unknownReq), key, "")
	h, _ := k.send(t, bg, 200, "GET", u("/api/v1/me/tunnels/hooks/requests/export"), key, "")
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("HAR export Content-Type %q", ct)
	}
	h, nd := k.send(t, bg, 200, "GET", u("/api/v1/me/tunnels/hooks/requests/export?format=ndjson&since=2020-01-02T03:04:05Z"), key, "")
	if ct := h.Get("Content-Type"); ct != "application/x-ndjson" || len(bytes.Split(bytes.TrimSpace(nd), []byte("\n"))) != 1 {
		t.Errorf("NDJSON export: Content-Type %q, body %s", ct, nd)
	}
	k.send(t, off, 400, "GET", u("/api/v1/me/tunnels/hooks/requests/export?format=xml"), key, "")
	k.send(t, bg, 200, "GET", u("/api/v1/me/requests/"+reqID+"/export"), key, "")
	k.send(t, bg, 404, "GET", u("/api/v1/me/requests/"+unknownReq+"/export"), key, "")
	k.stream(t, bg, 200, u("/api/v1/me/tunnels/hooks/requests/stream"), key, "")
	k.stream(t, bg, 400, u("/api/v1/me/tunnels/hooks/requests/stream"), key, "not-an-id")
	k.stream(t, bg, 200, u("/api/v1/me/requests/stream"), key, "")
	k.stream(t, off, 401, u("/api/v1/me/requests/stream"), "", "")
	k.stream(t, bg, 200, u("/api/v1/me/events/stream?type=key."), key, "")
	k.stream(t, off, 401, u("/api/v1/me/events/stream"), "", "")
	k.send(t, bg, 201, "POST", u(re.path), key, `{"path":"/again","headers":{"X-Replayed":"1"}}`)
	k.send(t, bg, 201, "POST", u(re.path), key, "")
	k.send(t, off, 400, "POST", u(re.path), key, `{"nope":1}`)
	k.send(t, bg, 404, "POST", u("/api/v1/me/tunnels/hooks/requests/"+unknownReq+"/replay"), key, "")

	// Plans.
	k.send(t, bg, 200, "GET", u("/api/v1/plans"), key, "")
	k.send(t, off, 401, "GET", u("/api/v1/plans"), "", "")

	// Reservations.
	k.send(t, bg, 201, "POST", u("/api/v1/me/reservations"), key, `{"subdomain":"stripe-dev"}`)
	k.send(t, bg, 409, "POST", u("/api/v1/me/reservations"), key, `{"subdomain":"stripe-dev"}`)
	k.send(t, bg, 200, "GET", u("/api/v1/me/reservations"), key, "")
	k.send(t, off, 400, "GET", u("/api/v1/me/reservations?limit=101"), key, "")
	webhookCases(t, bg, k, u, key) // webhooks_test.go: the reservation's webhook verifiers
	// reservation_access.go: who may reach a reservation's tunnels.
	k.send(t, bg, 200, "PUT", u("/api/v1/me/reservations/stripe-dev/access"), key,
		`{"basicAuth":[{"user":"ada","password":"correct horse"}],"allowCidr":["203.0.113.0/24"],"denyCidr":["203.0.113.66"]}`)
	k.send(t, bg, 400, "PUT", u("/api/v1/me/reservations/stripe-dev/access"), key, `{"allowCidr":["not-a-prefix"]}`)
	k.send(t, bg, 200, "GET", u("/api/v1/me/reservations/stripe-dev/access"), key, "")
	k.send(t, bg, 404, "GET", u("/api/v1/me/reservations/not-mine/access"), key, "")
	k.send(t, bg, 204, "DELETE", u("/api/v1/me/reservations/stripe-dev"), key, "")
	k.send(t, bg, 404, "DELETE", u("/api/v1/me/reservations/stripe-dev"), key, "")

	// Accounts, passwords, sessions.
	k.send(t, bg, 200, "GET", u("/api/v1/admin/accounts"), op, "")
	k.send(t, bg, 403, "GET", u("/api/v1/admin/accounts"), key, "")
	_, b := k.send(t, bg, 201, "POST", u("/api/v1/admin/accounts"), op, `{"email":"new@example.com","name":"New","plan":"free"}`)
	var created struct{ ID string }
	mustJSON(t, b, &created)
	k.send(t, bg, 409, "POST", u("/api/v1/admin/accounts"), op, `{"email":"new@example.com"}`)
	k.send(t, bg, 200, "PATCH", u("/api/v1/admin/accounts/"+created.ID), op, `{"plan":"pro"}`)
	k.send(t, bg, 404, "PATCH", u("/api/v1/admin/accounts/acc_01JBBBBBBBBBBBBBBBBBBBBBBB"), op, `{"plan":"pro"}`)
	k.send(t, bg, 204, "PUT", u("/api/v1/admin/accounts/"+created.ID+"/password"), op, `{"password":"correct horse"}`)
	k.send(t, bg, 404, "PUT", u("/api/v1/admin/accounts/nobody@example.com/password"), op, `{"password":"correct horse"}`)
	_, b = k.send(t, bg, 201, "POST", u("/api/v1/admin/accounts/"+created.ID+"/password-link"), op, "")
	var link struct{ URL string }
	mustJSON(t, b, &link)
	k.send(t, bg, 404, "POST", u("/api/v1/admin/accounts/nobody@example.com/password-link"), op, "")
	k.send(t, bg, 204, "POST", u("/api/v1/password"), "", `{"token":"`+link.URL[strings.IndexByte(link.URL, '#')+1:]+`","password":"battery staple"}`)
	k.send(t, bg, 404, "POST", u("/api/v1/password"), "", `{"token":"used-or-unknown","password":"battery staple"}`)
	e.mustPassword(t, opAcc, "operator pass")
	k.send(t, bg, 401, "POST", u("/api/v1/session"), "", `{"email":"op@example.com","password":"wrong pass"}`)
	_, b = k.send(t, bg, 201, "POST", u("/api/v1/session"), "", `{"email":"op@example.com","password":"operator pass"}`)
	var signedIn struct{ Session struct{ ID string } }
	mustJSON(t, b, &signedIn)
	cookie := e.mustSignIn(t, "op@example.com", "operator pass")
	k.send(t, bg, 200, "GET", u("/api/v1/me/sessions"), "", "", "Cookie", cookie)
	k.send(t, bg, 200, "GET", u("/api/v1/me/sessions"), op, "")
	k.send(t, off, 401, "GET", u("/api/v1/me/sessions"), "", "")
	k.send(t, bg, 204, "DELETE", u("/api/v1/me/sessions/"+signedIn.Session.ID), op, "")
	k.send(t, bg, 404, "DELETE", u("/api/v1/me/sessions/"+signedIn.Session.ID), op, "")
	k.send(t, off, 400, "DELETE", u("/api/v1/session"), op, "")
	k.send(t, bg, 204, "DELETE", u("/api/v1/session"), "", "", "Cookie", cookie)
	e.mustSignIn(t, "op@example.com", "operator pass")
	k.send(t, bg, 204, "DELETE", u("/api/v1/me/sessions"), op, "")
	k.send(t, off, 401, "DELETE", u("/api/v1/me/sessions"), "", "")

	// Keys.
	k.send(t, bg, 200, "GET", u("/v1/keys"), key, "")
	k.send(t, off, 400, "GET", u("/v1/keys?limit=0"), key, "")
	_, b = k.send(t, bg, 201, "POST", u("/v1/keys"), key, `{"description":"ci"}`)
	var newKey struct{ ID string }
	mustJSON(t, b, &newKey)
	k.send(t, off, 400, "POST", u("/v1/keys"), key, `{"description":"`+strings.Repeat("x", 201)+`"}`)
	k.send(t, bg, 204, "DELETE", u("/v1/keys/"+newKey.ID), key, "")
	k.send(t, bg, 409, "DELETE", u("/v1/keys/"+newKey.ID), key, "")
	k.send(t, bg, 404, "DELETE", u("/v1/keys/key_01JBBBBBBBBBBBBBBBBBBBBBBB"), key, "")

	// Custom domains.
	k.send(t, bg, 201, "POST", u("/v1/domains"), key, `{"name":"app.example.com"}`)
	k.send(t, bg, 400, "POST", u("/v1/domains"), key, `{"name":"not a host"}`)
	k.send(t, bg, 200, "GET", u("/v1/domains"), key, "")
	k.send(t, off, 401, "GET", u("/v1/domains"), "", "")
	k.send(t, bg, 200, "POST", u("/v1/domains/app.example.com/verify"), key, "")
	k.send(t, bg, 404, "POST", u("/v1/domains/other.example.com/verify"), key, "")
	k.send(t, bg, 204, "DELETE", u("/v1/domains/app.example.com"), key, "")
	k.send(t, bg, 404, "DELETE", u("/v1/domains/app.example.com"), key, "")

	// Usage and statements.
	month := time.Now().UTC().Format("2006-01")
	k.send(t, bg, 200, "GET", u("/v1/usage"), key, "")
	k.send(t, off, 401, "GET", u("/v1/usage"), "", "")
	k.send(t, bg, 200, "GET", u("/v1/usage/history"), key, "")
	k.send(t, bg, 200, "GET", u("/v1/usage/history?tunnel=hooks"), key, "")
	k.send(t, bg, 400, "GET", u("/v1/usage/history?from=2026-02-01&to=2026-01-01"), key, "")
	k.send(t, bg, 200, "GET", u("/api/v1/me/statements/"+month), key, "")
	k.send(t, bg, 200, "GET", u("/api/v1/me/statements/"+month+"?format=csv"), key, "")
	k.send(t, bg, 400, "GET", u("/api/v1/me/statements/not-a-month"), key, "")
	k.send(t, bg, 200, "GET", u("/api/v1/admin/statements/"+month), op, "")
	k.send(t, bg, 403, "GET", u("/api/v1/admin/statements/"+month), key, "")

	// Audit: events, checkpoint, backup.
	k.send(t, bg, 200, "GET", u("/api/v1/me/events?type=key.&limit=5"), key, "")
	k.send(t, off, 400, "GET", u("/api/v1/me/events?limit=0"), key, "")
	k.send(t, bg, 200, "GET", u("/api/v1/admin/events"), op, "")
	k.send(t, bg, 403, "GET", u("/api/v1/admin/events"), key, "")
	k.send(t, bg, 200, "GET", u("/api/v1/checkpoint"), op, "")
	k.send(t, bg, 403, "GET", u("/api/v1/checkpoint"), key, "")
	k.send(t, bg, 200, "GET", u("/api/v1/admin/backup"), op, "")
	k.send(t, bg, 403, "GET", u("/api/v1/admin/backup"), key, "")
	backupSecretsCases(t, bg, k, u, op, key, re.secretsPath) // webhooks_test.go

	// Device login (RFC 8628): form-encoded OAuth routes, then the
	// session-only approval routes.
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	_, b = k.send(t, bg, 200, "POST", u("/api/v1/device/code"), "", "client_id=warren-cli", form...)
	var dc struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	mustJSON(t, b, &dc)
	k.send(t, off, 401, "POST", u("/api/v1/device/code"), "", "client_id=someone-else", form...)
	grant := "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=warren-cli&device_code="
	k.send(t, bg, 400, "POST", u("/api/v1/device/token"), "", grant+"not-a-device-code", form...) // invalid_grant
	web := e.mustSignIn(t, "op@example.com", "operator pass")
	k.send(t, bg, 200, "GET", u("/api/v1/device/pending/"+dc.UserCode), "", "", "Cookie", web)
	k.send(t, off, 403, "GET", u("/api/v1/device/pending/"+dc.UserCode), op, "") // a key, not a person
	k.send(t, bg, 404, "GET", u("/api/v1/device/pending/BBBB-BBBB"), "", "", "Cookie", web)
	k.send(t, bg, 200, "POST", u("/api/v1/device/approve"), "", `{"userCode":"`+dc.UserCode+`"}`, "Cookie", web)
	k.send(t, bg, 404, "POST", u("/api/v1/device/approve"), "", `{"userCode":"BBBB-BBBB"}`, "Cookie", web)
	k.send(t, bg, 200, "POST", u("/api/v1/device/token"), "", grant+dc.DeviceCode, form...)
	_, b = k.send(t, bg, 200, "POST", u("/api/v1/device/code"), "", "client_id=warren-cli", form...)
	mustJSON(t, b, &dc)
	k.send(t, bg, 204, "POST", u("/api/v1/device/deny"), "", `{"userCode":"`+dc.UserCode+`"}`, "Cookie", web)
	k.send(t, bg, 404, "POST", u("/api/v1/device/deny"), "", `{"userCode":"`+dc.UserCode+`"}`, "Cookie", web) // denied already: gone

	// The agent's door, on the edge.
	agentURL := re.edgeURL + "/api/v1/agent/connect"
	upgrade := []string{"Upgrade", "warren-agent/1", "Connection", "Upgrade"}
	k.send(t, off, 426, "GET", agentURL, key, "")
	k.send(t, off, 401, "GET", agentURL, "", "", upgrade...)
	k.upgrade(t, agentURL, key, upgrade...)

	// Tunnels released last: the replays above need "hooks" live.
	acc := re.acc
	e.tunnel(t, acc, "spare-one", 0)
	spare := e.tunnel(t, acc, "spare-two", 0)
	k.send(t, bg, 204, "DELETE", u("/api/v1/me/tunnels/spare-one"), key, "")
	k.send(t, bg, 404, "DELETE", u("/api/v1/me/tunnels/spare-one"), key, "")
	k.send(t, bg, 204, "DELETE", u("/v1/tunnels/"+spare), key, "")
	k.send(t, bg, 404, "DELETE", u("/v1/tunnels/tun_01JBBBBBBBBBBBBBBBBBBBBBBB"), key, "")

	k.checkCoverage(t)
}

// stream opens an SSE route through the contract (status and headers
// checked), reads nothing and closes it.
func (k *contract) stream(tb testing.TB, ctx context.Context, want int, url, key, lastID string) {
	tb.Helper()
	hdr := []string{"Accept", "text/event-stream"}
	if lastID != "" {
		hdr = append(hdr, "Last-Event-ID", lastID)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := k.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 600))
		tb.Fatalf("GET %s: status %d, want %d; body %s", url, resp.StatusCode, want, b)
	}
}

// upgrade opens the agent connection through the contract (101 and its
// headers checked) and closes it at once.
func (k *contract) upgrade(tb testing.TB, url, key string, hdr ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := k.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "warren-agent/1" {
		tb.Fatalf("GET %s: status %d, Upgrade %q", url, resp.StatusCode, resp.Header.Get("Upgrade"))
	}
}
