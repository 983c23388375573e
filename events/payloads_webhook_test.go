package events

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"warren/domain"
)

// goldenCapturedWebhook is a request.captured v3 with the optional webhook
// member (issue 17): a capture without it encodes as before (the v3
// golden file is unchanged), and one with it encodes as this file.
func goldenCapturedWebhook() RequestCapturedV3 {
	p := goldenCapturedV3()
	p.Webhook = &WebhookV1{Provider: "stripe", Verified: false, Reason: "timestamp_expired", Enforced: true,
		Resigned: true, Changed: []string{"Stripe-Signature"}}
	return p
}

// TestCapturedWebhookMemberGolden: the webhook member encodes byte for byte
// as testdata/webhook/request.captured.v3.webhook.json, as encoding/json
// would, and decodes back to the same value and domain result.
func TestCapturedWebhookMemberGolden(t *testing.T) {
	p := goldenCapturedWebhook()
	got, err := p.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "webhook", "request.captured.v3.webhook.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding changed\n got %s\nwant %s", got, want)
	}
	if std, err := json.Marshal(p); err != nil || !bytes.Equal(std, want) {
		t.Fatalf("encoding/json gives %s, %v", std, err)
	}
	dec, err := DecodePayload(&Event{Type: RequestCaptured, Version: 3, Data: want})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dec, &p) {
		t.Fatalf("decoded %#v\nwant %#v", dec, &p)
	}
	wantDomain := &domain.WebhookResult{Provider: "stripe", Reason: "timestamp_expired", Enforced: true,
		Resigned: true, ChangedHeaders: []string{"Stripe-Signature"}}
	if d := dec.(*RequestCapturedV3).Domain(); !reflect.DeepEqual(d.Webhook, wantDomain) {
		t.Fatalf("domain webhook %#v, want %#v", d.Webhook, wantDomain)
	}
	if back := CapturedFromDomain(p.Domain()); !reflect.DeepEqual(back.Webhook, p.Webhook) {
		t.Fatalf("round trip %#v, want %#v", back.Webhook, p.Webhook)
	}
}

// TestCapturedWebhookMemberMatchesEncodingJSON covers the combinations of
// the optional parts AppendJSON writes by hand.
func TestCapturedWebhookMemberMatchesEncodingJSON(t *testing.T) {
	for _, w := range []*WebhookV1{
		{Provider: "github", Verified: true},
		{Provider: "slack", Reason: "signature_mismatch"},
		{Provider: "caf\xe9", Reason: "\u2028<b>", Changed: []string{"A", "B"}},
		{Provider: "standard", Verified: true, Resigned: true},
	} {
		p := goldenCapturedV3()
		p.Webhook = w
		got, err := p.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(p)
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON\n got %s\nwant %s", got, want)
		}
	}
}
