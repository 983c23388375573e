package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

func TestUsage_Routes(t *testing.T) {
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := startKDAPI(t, nil, clock)
	acc, key := mustOpsAccount(t, a.Log, "a@example.com", domain.PlanFree)
	_, proKey := mustOpsAccount(t, a.Log, "p@example.com", domain.PlanPro)
	ctx := context.Background()
	if _, err := a.Log.Execute(ctx, projections.OpenTunnelCmd(projections.OpenTunnel{AccountID: acc, SessionID: "ses_1",
		Proto: domain.ProtoHTTP, Subdomain: "my-app", RemoteAddr: "203.0.113.7",
		RandomName: func() (string, error) { return domain.RandomSubdomain(rand.Reader) }})); err != nil {
		t.Fatal(err)
	}
	// The seed's 846 bytes: one request in, its response out, this month.
	if _, err := a.Log.Append(ctx, events.Draft{Type: events.RequestCaptured, Account: acc, At: now.Add(-time.Hour),
		Data: domain.CapturedRequest{Tunnel: "my-app", Kind: domain.KindHTTP, Method: "GET", Path: "/", Status: 200, BytesIn: 818, BytesOut: 28}}); err != nil {
		t.Fatal(err)
	}
	// Last month's traffic counts in the history, not in this month's bandwidth.
	if _, err := a.Log.Append(ctx, events.Draft{Type: events.RequestCaptured, Account: acc, At: time.Date(2026, 4, 30, 23, 0, 0, 0, time.UTC),
		Data: domain.CapturedRequest{Tunnel: "my-app", Kind: domain.KindHTTP, Method: "GET", Path: "/", Status: 200, BytesIn: 1000, BytesOut: 1}}); err != nil {
		t.Fatal(err)
	}

	t.Run("SeedCurlExample", func(t *testing.T) {
		// curl https://api.osmrouter.com/v1/usage -H "Authorization: Bearer $OSM_TOKEN"
		r := a.call(t, "GET", "/v1/usage", key, "", "").want(t, 200, nil)
		// Every member of the seed's answer, as it has it; beside them the
		// month's bandwidth in detail (before the wire rule: bodies only).
		want := `{"plan":"free","limits":{"domains":2,"tunnels":10,"bandwidthBytes":53687091200},"used":{"domains":0,"tunnels":1,"bandwidthBytes":846},
			"bandwidth":{"rule":"body","bytesIn":818,"bytesOut":28,"bodyBytesIn":818,"bodyBytesOut":28}}`
		if !jsonEqual(t, r.Body, want) {
			t.Fatalf("GET /v1/usage = %s\nthe seed:        %s", r.Body, want)
		}
	})
	t.Run("UnlimitedIsNull", func(t *testing.T) {
		r := a.call(t, "GET", "/v1/usage", proKey, "", "").want(t, 200, nil)
		want := `{"plan":"pro","limits":{"domains":null,"tunnels":null,"bandwidthBytes":null},"used":{"domains":0,"tunnels":0,"bandwidthBytes":0},
			"bandwidth":{"rule":"body","bytesIn":0,"bytesOut":0,"bodyBytesIn":0,"bodyBytesOut":0}}`
		if !jsonEqual(t, r.Body, want) {
			t.Fatalf("GET /v1/usage = %s, want %s", r.Body, want)
		}
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		// The seed: requests without a valid token return 401 {"error":"unauthorized"}.
		a.call(t, "GET", "/v1/usage", "", "", "").wantError(t, 401, "unauthorized")
		a.call(t, "GET", "/v1/usage/history", "ak_nope", "", "").wantError(t, 401, "unauthorized")
	})

	type day struct {
		Date           string
		Requests       int64
		BandwidthBytes struct{ In, Out, Total int64 }
		TunnelSeconds  int64
	}
	t.Run("HistoryHasZerosForEmptyDays", func(t *testing.T) {
		var h struct{ Days []day }
		r := a.call(t, "GET", "/v1/usage/history?from=2026-04-29&to=2026-05-04", key, "", "").want(t, 200, &h)
		var raw struct{ Days []map[string]json.RawMessage }
		json.Unmarshal([]byte(r.Body), &raw)
		if len(raw.Days) != 6 || len(raw.Days[0]) != 4 || string(raw.Days[0]["bandwidthBytes"]) != `{"in":0,"out":0,"total":0}` {
			t.Fatalf("history %s", r.Body)
		}
		wantReq := []int64{0, 1, 0, 0, 0, 1}
		for i, d := range h.Days {
			if d.Date != time.Date(2026, 4, 29+i, 0, 0, 0, 0, time.UTC).Format(dateLayout) || d.Requests != wantReq[i] {
				t.Errorf("day %d = %+v", i, d)
			}
		}
		if b := h.Days[5].BandwidthBytes; b.In != 818 || b.Out != 28 || b.Total != 846 {
			t.Errorf("today's bandwidth %+v", b)
		}
		// The live tunnel opened today (wall clock) counts its seconds to now.
	})
	t.Run("HistoryDefaultsToTheLast30Days", func(t *testing.T) {
		var h struct{ Days []day }
		a.call(t, "GET", "/v1/usage/history", key, "", "").want(t, 200, &h)
		if len(h.Days) != 30 || h.Days[0].Date != "2026-04-05" || h.Days[29].Date != "2026-05-04" {
			t.Fatalf("%d days from %s", len(h.Days), h.Days[0].Date)
		}
	})
	t.Run("ErrBadRange", func(t *testing.T) {
		for _, q := range []string{"from=2026-5-1", "to=tomorrow", "from=2026-05-04&to=2026-05-03", "from=2025-01-01&to=2026-01-02", "from=2026-02-30"} {
			a.call(t, "GET", "/v1/usage/history?"+q, key, "", "").wantError(t, 400, "invalid")
		}
	})
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(tb testing.TB, got, want string) bool {
	tb.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		tb.Fatalf("decoding %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		tb.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}
