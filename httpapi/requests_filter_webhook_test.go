package httpapi

import (
	"context"
	"slices"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
)

// TestRequestListFiltersByWebhookVerdict: ?webhook=unverified lists the
// deliveries whose signature did not verify (refused or not), verified the
// genuine ones, any both; requests without a verdict match none of them.
func TestRequestListFiltersByWebhookVerdict(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "free", false)
	tun := e.tunnel(t, acc, "hooks", 0)
	verdicts := []*domain.WebhookResult{
		nil,
		{Provider: "stripe", Verified: true},
		{Provider: "stripe", Reason: "signature_mismatch", Enforced: true},
		{Provider: "github", Reason: "missing_signature"},
		{Provider: "stripe", Verified: true, Resigned: true},
	}
	var ids []string
	for i, w := range verdicts {
		cr := captureDraft(acc, tun, "hooks", i, nil, nil).Data.(domain.CapturedRequest)
		cr.Webhook = w
		// The edge's draft (the current payload version): captureDraft's
		// domain value is stored as version 1, which has no webhook member.
		evs, err := e.log.Append(context.Background(), events.CapturedDraft(acc, time.Now(), cr, nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, domain.RequestIDPrefix+evs[0].ID.String())
	}
	for _, tc := range []struct {
		query string
		want  []int
	}{
		{"webhook=unverified", []int{2, 3}},
		{"webhook=verified", []int{1, 4}},
		{"webhook=any", []int{1, 2, 3, 4}},
		{"webhook=", []int{0, 1, 2, 3, 4}},
		{"webhook=unverified&status=2xx", []int{2, 3}}, // with another filter (the fixtures are 200s)
		{"webhook=unverified&status=404", nil},
	} {
		got, _ := e.listAll(t, "/api/v1/me/tunnels/hooks/requests?"+tc.query, key)
		want := pick(ids, tc.want...)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", tc.query, got, want)
		}
	}
	if _, err := parseWebhookFilter(map[string][]string{"webhook": {"maybe"}}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("webhook=maybe: %v, want invalid", err)
	}
}
