package httpapi

import (
	"context"
	"net/http"
	"testing"

	"warren/httpapi/apiclient"
)

// TestOpenAPI_GeneratedClient: the client oapi-codegen generates from the
// spec (httpapi/apiclient) works against the real server, through the
// contract checker: it pages a tunnel's requests, gets one in full, and
// decodes an error answer, with the names the operationIds give.
func TestOpenAPI_GeneratedClient(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "gen@example.com", "pro", false)
	tun := e.tunnel(t, acc, "hooks", 0)
	e.capture(t, acc, tun, "hooks", 3)
	k := newContract(t, e.ts.URL)
	c, err := apiclient.NewClientWithResponses(e.ts.URL, apiclient.WithHTTPClient(k.Client()),
		apiclient.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+key)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("ListRequests", func(t *testing.T) {
		limit, tunnel := 2, "hooks"
		first, err := c.ListRequestsWithResponse(ctx, &apiclient.ListRequestsParams{Tunnel: &tunnel, Limit: &limit})
		if err != nil {
			t.Fatal(err)
		}
		if first.JSON200 == nil {
			t.Fatalf("status %d: %s", first.StatusCode(), first.Body)
		}
		page := first.JSON200
		if len(page.Requests) != 2 || page.NextPageUri == nil {
			t.Fatalf("first page: %d requests, next %v", len(page.Requests), page.NextPageUri)
		}
		if r := page.Requests[0]; r.Tunnel != "hooks" || r.Method != "GET" || r.Path != "/item/2" || r.DurationMs != 2 || r.DurationUs != 1500 {
			t.Fatalf("newest request decoded as %+v", r)
		}
		before := page.Requests[1].Id
		rest, err := c.ListTunnelRequestsWithResponse(ctx, "hooks", &apiclient.ListTunnelRequestsParams{BeforeId: &before})
		if err != nil {
			t.Fatal(err)
		}
		if rest.JSON200 == nil || len(rest.JSON200.Requests) != 1 || rest.JSON200.NextPageUri != nil {
			t.Fatalf("second page: status %d: %s", rest.StatusCode(), rest.Body)
		}
		if rest.JSON200.Requests[0].Path != "/item/0" {
			t.Fatalf("second page holds %s", rest.JSON200.Requests[0].Path)
		}
	})
	t.Run("GetRequest", func(t *testing.T) {
		list, err := c.ListTunnelRequestsWithResponse(ctx, "hooks", nil)
		if err != nil || list.JSON200 == nil {
			t.Fatalf("list: %v %v", err, list)
		}
		want := list.JSON200.Requests[0]
		got, err := c.GetRequestWithResponse(ctx, "hooks", want.Id)
		if err != nil {
			t.Fatal(err)
		}
		if got.JSON200 == nil {
			t.Fatalf("status %d: %s", got.StatusCode(), got.Body)
		}
		d := got.JSON200
		if d.Id != want.Id || d.Path != want.Path || d.Response.Headers["Content-Type"][0] != "text/plain" || d.Request.Body.Size != 0 {
			t.Fatalf("detail decoded as %+v", d)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		got, err := c.GetRequestWithResponse(ctx, "hooks", "req_01JBBBBBBBBBBBBBBBBBBBBBBB")
		if err != nil {
			t.Fatal(err)
		}
		if got.JSON404 == nil || got.JSON404.Error != "not_found" {
			t.Fatalf("status %d: %s", got.StatusCode(), got.Body)
		}
	})
}
