package httpapi

import (
	"context"
	"testing"
	"time"

	"warren/projections"
)

func TestRequestDetail_Bodies(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "free", false)
	tun := e.tunnel(t, acc, "bodies", 0)
	old := captureDraft(acc, tun, "bodies", 0, []byte("old request"), []byte("old response"))
	evs, err := e.log.Append(context.Background(), old,
		captureDraft(acc, tun, "bodies", 1, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	oldID, emptyID := "req_"+evs[0].ID.String(), "req_"+evs[1].ID.String()
	get := func(t *testing.T, id string) requestDetailJSON {
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/bodies/requests/"+id, key, "")
		wantStatus(t, st, 200, b)
		var d requestDetailJSON
		mustJSON(t, b, &d)
		return d
	}
	t.Run("Stored", func(t *testing.T) {
		d := get(t, oldID)
		if d.BodiesPruned || !d.Request.Body.Available || *d.Request.Body.Data != "old request" || *d.Response.Body.Data != "old response" {
			t.Fatalf("detail %+v", d)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		d := get(t, emptyID)
		if !d.Request.Body.Available || d.Request.Body.Data == nil || *d.Request.Body.Data != "" {
			t.Fatalf("empty body %+v", d.Request.Body)
		}
	})
	t.Run("Pruned", func(t *testing.T) {
		// Retention goes by the request's ULID time: sweep as of 30 days
		// on, past the free plan's 14.
		n, err := projections.SweepBodies(context.Background(), e.log, time.Now().AddDate(0, 0, 30), 100, 0)
		if err != nil || n != 2 {
			t.Fatalf("swept %d, %v; want 2", n, err)
		}
		d := get(t, oldID)
		if !d.BodiesPruned || d.PrunedAt == nil || d.Request.Body.Available || d.Request.Body.Data != nil || d.Response.Body.Data != nil {
			t.Fatalf("pruned detail %+v", d)
		}
		if d.Request.Body.Size != int64(len("old request")) {
			t.Fatalf("size lost: %+v", d.Request.Body)
		}
	})
	t.Run("ErrBadID", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/bodies/requests/req_nope", key, "")
		wantError(t, st, b, 404, "not_found")
	})
}
