package projections

import (
	"reflect"
	"testing"
	"time"

	"warren/domain"
)

// TestSummaryKeepsWebhookVerdict: the list's summary carries the verdict
// (without the changed headers, which stay in the event), and a summary
// without one decodes as before.
func TestSummaryKeepsWebhookVerdict(t *testing.T) {
	r := capturedRequest("hooks", 10, 20)
	r.ID, r.AccountID, r.CreatedAt = "01JD5ZB0000000000000000000", "acc_1", time.Unix(1700000000, 0).UTC()
	for _, w := range []*domain.WebhookResult{
		nil,
		{Provider: "stripe", Verified: true, Resigned: true},
		{Provider: "hmac-sha256", Reason: "signature_mismatch", Enforced: true},
	} {
		r.Webhook = w
		got, err := decodeSummary(encodeSummary(&r))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Webhook, w) {
			t.Fatalf("webhook %+v, want %+v", got.Webhook, w)
		}
	}
	b := encodeSummary(&r)
	if _, err := decodeSummary(b[:len(b)-1]); err == nil {
		t.Fatal("a cut trailer decoded")
	}
}
