package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
)

// TestBandwidthIsWhatCrossesTheWire: once the wire rule applies, /v1/usage,
// the history and the statement count request and response heads as well
// as bodies, with bodies alone beside; a month closed before the rule
// renders byte for byte as it did, in JSON and CSV.
func TestBandwidthIsWhatCrossesTheWire(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	e := mustEnv(t, func(c *Config) { c.Now = func() time.Time { return now } })
	_, opKey := e.account(t, "op@example.com", domain.PlanPro, true)
	a, aKey := e.account(t, "a@example.com", domain.PlanFree, false)
	ctx := context.Background()
	nov := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		d := captureDraft(a, "tun_x", "hooks", i, nil, nil)
		d.At = nov.Add(time.Duration(i) * time.Hour)
		if _, err := e.log.Append(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	closed := func() [][]byte {
		var out [][]byte
		for _, r := range []struct{ path, key, accept string }{
			{"/api/v1/me/statements/2026-11", aKey, ""}, {"/api/v1/me/statements/2026-11", aKey, "text/csv"},
			{"/api/v1/admin/statements/2026-11", opKey, ""}, {"/api/v1/admin/statements/2026-11?format=csv", opKey, ""},
		} {
			st, _, body := e.do(t, "GET", r.path, r.key, "", "Accept", r.accept)
			wantStatus(t, st, 200, body)
			out = append(out, body)
		}
		return out
	}
	before := closed()

	if _, err := e.log.Append(ctx, events.Draft{Type: events.BillingRuleChanged, At: now,
		Data: events.BillingRuleChangedData{Rule: events.RuleWire, From: "2026-12"}}); err != nil {
		t.Fatal(err)
	}
	d := captureDraft(a, "tun_x", "hooks", 0, nil, nil)
	d.At = now.Add(-time.Hour)
	if _, err := e.log.Append(ctx, d); err != nil {
		t.Fatal(err)
	}
	// "GET /item/0 HTTP/1.1\r\n" 22, "Host: hooks.warren.test\r\n" 25,
	// "User-Agent: curl/8.7.1\r\n" 24, "\r\n"; "HTTP/1.1 200 OK\r\n" 17,
	// "Content-Type: text/plain\r\n" 26, "\r\n". Bodies: 10 in, 28 out.
	const headIn, headOut = 22 + 25 + 24 + 2, 17 + 26 + 2
	const in, out = 10 + headIn, 28 + headOut

	for i, after := range closed() {
		if !bytes.Equal(after, before[i]) {
			t.Fatalf("closed November changed with the rule\nbefore %s\n after %s", before[i], after)
		}
	}
	t.Run("Usage", func(t *testing.T) {
		st, _, body := e.do(t, "GET", "/v1/usage", aKey, "")
		wantStatus(t, st, 200, body)
		var u struct {
			Used      struct{ BandwidthBytes int64 }
			Bandwidth map[string]any
		}
		mustJSON(t, body, &u)
		if u.Used.BandwidthBytes != in+out || u.Bandwidth["rule"] != "wire" || u.Bandwidth["bytesIn"] != float64(in) ||
			u.Bandwidth["bytesOut"] != float64(out) || u.Bandwidth["bodyBytesIn"] != 10.0 || u.Bandwidth["bodyBytesOut"] != 28.0 {
			t.Fatalf("usage %s", body)
		}
		var h struct {
			Days []struct {
				BandwidthBytes struct{ In, Out, Total int64 }
			}
		}
		st, _, body = e.do(t, "GET", "/v1/usage/history?from=2026-12-03&to=2026-12-03", aKey, "")
		wantStatus(t, st, 200, body)
		mustJSON(t, body, &h)
		if b := h.Days[0].BandwidthBytes; b.In != in || b.Out != out || b.Total != in+out {
			t.Fatalf("history %s", body)
		}
	})
	t.Run("Statement", func(t *testing.T) {
		st, _, body := e.do(t, "GET", "/api/v1/me/statements/2026-12", aKey, "")
		wantStatus(t, st, 200, body)
		var s map[string]any
		mustJSON(t, body, &s)
		if s["bytesIn"] != float64(in) || s["bytesOut"] != float64(out) || s["bytesTotal"] != float64(in+out) ||
			s["bodyBytesIn"] != 10.0 || s["bodyBytesOut"] != 28.0 || s["bandwidthRule"] != "wire" {
			t.Fatalf("December statement %s", body)
		}
		st, _, body = e.do(t, "GET", "/api/v1/me/statements/2026-12?format=csv", aKey, "")
		wantStatus(t, st, 200, body)
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil || len(rows) != 2 || len(rows[0]) != len(statementColumns)+len(wireColumns) {
			t.Fatalf("csv %s %v", body, err)
		}
		for i, col := range rows[0] {
			if want, ok := map[string]string{"bytesIn": itoa(in), "bodyBytesIn": "10", "bodyBytesOut": "28", "bandwidthRule": "wire"}[col]; ok && rows[1][i] != want {
				t.Errorf("csv %s = %s, want %s", col, rows[1][i], want)
			}
		}
	})
}
