package httpapi

import (
	"net/http"
	"net/url"
	"testing"
)

// FuzzQueryParams feeds the parsers of client-controlled request parts —
// limit/before_id, the audit filters and Last-Event-ID — arbitrary text:
// each answers a value or a *domain.Error, never a panic, and an accepted
// limit is within 1..100.
func FuzzQueryParams(f *testing.F) {
	f.Add("100", "", "", "", "")
	f.Add("0", "req_01JABCDEFGHJKMNPQRSTVWXYZ", "key.", "2026-11-01T00:00:00Z", "01JABCDEFGHJKMNPQRSTVWXYZ0")
	f.Add("abc", "zzz", "", "yesterday", "req_01JABCDEFGHJKMNPQRSTVWXYZ")
	f.Add("-1", "", "tunnel.opened", "2026-13-01T00:00:00Z", "\x00")
	f.Fuzz(func(t *testing.T, limit, before, typ, since, lastID string) {
		q := url.Values{"limit": {limit}, "before_id": {before}, "type": {typ}, "since": {since}, "until": {since}}
		r := &http.Request{URL: &url.URL{Path: "/api/v1/me/events", RawQuery: q.Encode()}, Header: http.Header{}}
		r.Header.Set("Last-Event-ID", lastID)
		if p, err := parsePage(r); err == nil && (p.Limit < 1 || p.Limit > 100) {
			t.Fatalf("limit %q accepted as %d", limit, p.Limit)
		}
		_, _ = parseAuditFilter(r, "acc_x")
		_, _, _ = parseLastEventID(r)
	})
}
