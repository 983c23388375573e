package httpapi

import (
	"context"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

// TestRequestDetailShowsSealedHeadersWhileRetained: the detail carries a
// visitor's Authorization while the bodies are retained, names it in
// secretHeaders, and once retention prunes it says so and shows it no more.
func TestRequestDetailShowsSealedHeadersWhileRetained(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "free", false)
	tun := e.tunnel(t, acc, "sealed", 0)
	cr := domain.CapturedRequest{TunnelID: tun, Tunnel: "sealed", Kind: domain.KindHTTP, Method: "GET", Path: "/me",
		Status: 200, IP: "203.0.113.7", Proto: "HTTP/1.1", Host: "sealed.warren.test",
		ReqHeaders:  map[string][]string{"Authorization": {"Bearer secret"}, "X-Api-Key": {"k-123"}, "Accept": {"*/*"}},
		RespHeaders: map[string][]string{"Set-Cookie": {"sid=1"}}}
	evs, err := e.log.Append(context.Background(), events.CapturedDraft(acc, time.Time{}, cr, nil, []string{"x-api-key"}))
	if err != nil {
		t.Fatal(err)
	}
	id := "req_" + evs[0].ID.String()
	get := func(t *testing.T) requestDetailJSON {
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/sealed/requests/"+id, key, "")
		wantStatus(t, st, 200, b)
		var d requestDetailJSON
		mustJSON(t, b, &d)
		return d
	}
	d := get(t)
	if a := d.Request.Headers["Authorization"]; len(a) != 1 || a[0] != "Bearer secret" {
		t.Fatalf("retained Authorization %q", a)
	}
	if k := d.Request.Headers["X-Api-Key"]; len(k) != 1 || k[0] != "k-123" {
		t.Fatalf("retained X-Api-Key %q", k)
	}
	if s := d.SecretHeaders; s == nil || !s.Available || len(s.Request) != 2 || len(s.Response) != 1 {
		t.Fatalf("secretHeaders %+v", s)
	}
	if n, err := projections.SweepBodies(context.Background(), e.log, time.Now().AddDate(0, 0, 30), 100, 0); err != nil || n != 1 {
		t.Fatalf("swept %d, %v", n, err)
	}
	d = get(t)
	if s := d.SecretHeaders; s == nil || s.Available || s.Request[0] != "Authorization" || s.Request[1] != "X-Api-Key" {
		t.Fatalf("pruned secretHeaders %+v", s)
	}
	_, auth := d.Request.Headers["Authorization"]
	_, cookie := d.Response.Headers["Set-Cookie"]
	if auth || cookie || d.Request.Headers["Accept"][0] != "*/*" {
		t.Fatalf("pruned headers %v / %v", d.Request.Headers, d.Response.Headers)
	}
}
