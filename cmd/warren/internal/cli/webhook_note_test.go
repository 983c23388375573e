package cli

import (
	"os"
	"path/filepath"
	"slices"
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

// TestTunnelsFileCarriesWebhookVerifiers: warren start's file takes
// verify_webhook (repeatable in YAML, a list in JSON) and
// verify_webhook_enforce, and a bad spec fails without quoting it.
func TestTunnelsFileCarriesWebhookVerifiers(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	yaml := write("t.yaml", "tunnels:\n  - local: 3000\n    verify_webhook: stripe:whsec_abc\n    verify_webhook: github:s3cret\n    verify_webhook_enforce: true\n")
	js := write("t.json", `{"tunnels":[{"local":"3000","verify_webhook":["slack:abc"]}]}`)
	for _, tc := range []struct {
		path    string
		want    []string
		enforce bool
	}{{yaml, []string{"stripe:whsec_abc", "github:s3cret"}, true}, {js, []string{"slack:abc"}, false}} {
		af, err := loadAgentFile(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if s := af.Specs[0]; !slices.Equal(s.Webhooks, tc.want) || s.WebhookEnforce != tc.enforce {
			t.Errorf("%s: webhooks %v enforce %v", tc.path, s.Webhooks, s.WebhookEnforce)
		}
	}
	bad := write("bad.yaml", "tunnels:\n  - local: 3000\n    verify_webhook: stripe:sk_live_TOPSECRET\n")
	if _, err := loadAgentFile(bad); err == nil || strings.Contains(err.Error(), "TOPSECRET") {
		t.Fatalf("bad spec: %v", err)
	}
}
