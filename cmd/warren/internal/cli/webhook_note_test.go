package cli

import (
	"strings"
	"testing"
	"time"

	"warren/edge/wire"
	"warren/httpapi/client"
)

// TestRequestLinesShowWebhookVerdict: the agent's line and the requests
// table say whether a delivery verified, why not, and a re-signed replay.
func TestRequestLinesShowWebhookVerdict(t *testing.T) {
	l := wire.RequestLine{Kind: "http", Method: "POST", Path: "/stripe", Status: 401, At: time.Unix(0, 0),
		Webhook: &wire.WebhookLine{Provider: "stripe", Reason: "signature_mismatch", Enforced: true}}
	if got := requestLineText(l); !strings.Contains(got, "[✗ stripe signature_mismatch, refused]") {
		t.Fatalf("line %q", got)
	}
	l.Webhook = nil
	if got := requestLineText(l); strings.Contains(got, "[") {
		t.Fatalf("line without a verifier %q", got)
	}
	r := client.Request{ID: "req_1", Method: "POST", Path: "/stripe", Status: 200,
		Webhook: &client.WebhookResult{Provider: "stripe", Verified: true, Resigned: true}}
	ro := "req_0"
	r.ReplayOf = &ro
	row := requestRow(r)
	if got := row[len(row)-1]; got != "↻ replay of req_0  ✓ stripe, re-signed" {
		t.Fatalf("notes %q", got)
	}
}

// TestRequestDetailShowsWebhookVerdict: `requests show` has a webhook row
// naming the headers a re-signed replay changed.
func TestRequestDetailShowsWebhookVerdict(t *testing.T) {
	var b strings.Builder
	d := requestDetail{ID: "req_1", Method: "POST", Path: "/stripe", Status: 200, Kind: "websocket",
		Webhook: &client.WebhookResult{Provider: "stripe", Verified: true, Resigned: true, ChangedHeaders: []string{"Stripe-Signature"}}}
	if err := writeRequestDetail(&b, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "webhook  ✓ stripe, re-signed (Stripe-Signature)") {
		t.Fatalf("detail:\n%s", b.String())
	}
}
