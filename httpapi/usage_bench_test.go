package httpapi

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
)

// BenchmarkUsage_HTTP measures GET /v1/usage and a full year of
// /v1/usage/history over HTTP on loopback, including authentication.
func BenchmarkUsage_HTTP(b *testing.B) {
	a := startKDAPI(b, nil, nil)
	acc, key := mustOpsAccount(b, a.Log, "a@example.com", domain.PlanFree)
	// A year of traffic: 10 requests a day.
	now := time.Now().UTC()
	var drafts []events.Draft
	for d := range 366 {
		for range 10 {
			drafts = append(drafts, events.Draft{Type: events.RequestCaptured, Account: acc, At: now.AddDate(0, 0, -d),
				Data: domain.CapturedRequest{Tunnel: "app", Kind: domain.KindHTTP, Method: "GET", Path: "/", Status: 200, BytesIn: 100, BytesOut: 1000}})
		}
	}
	if _, err := a.Log.Append(context.Background(), drafts...); err != nil {
		b.Fatal(err)
	}
	from := now.AddDate(0, 0, -365).Format(dateLayout)
	hc := &http.Client{Timeout: 10 * time.Second}
	for _, bc := range []struct{ name, path string }{
		{"Now", "/v1/usage"},
		{"History366Days", "/v1/usage/history?from=" + from + "&to=" + now.Format(dateLayout)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req, _ := http.NewRequest("GET", a.URL+bc.path, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			for b.Loop() {
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body) // so the connection is reused
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
