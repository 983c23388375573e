package webhook

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"warren/domain"
)

// TestResign_StripeAcceptsAReplayHeldPastTolerance: stripe-go signs a
// delivery an hour ago, Warren verifies it as it arrived, and a replay
// now is refused by stripe-go as sent but accepted once Warren re-signs
// it. stripe-go reads the real clock, so "now" here is time.Now().
func TestResign_StripeAcceptsAReplayHeldPastTolerance(t *testing.T) {
	now := time.Now()
	d := stripeDelivery(now.Add(-time.Hour))
	// The event's api_version must be stripe-go's, or ConstructEvent
	// refuses it for a reason that has nothing to do with signatures.
	d.body = []byte(`{"id":"evt_1","object":"event","type":"invoice.paid","api_version":"` + stripe.APIVersion + `","data":{"object":{}}}`)
	d.header.Set("Stripe-Signature", stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{
		Payload: d.body, Secret: d.secret, Timestamp: d.signedAt}).Header)

	if r := Verify(d.scheme, d.secret, d.header, d.body, d.signedAt.Add(2*time.Second)); !r.Verified {
		t.Fatalf("at capture: %+v", r)
	}
	if _, err := stripewebhook.ConstructEvent(d.body, d.header.Get("Stripe-Signature"), d.secret); err == nil {
		t.Fatal("stripe-go accepted the stale signature; the test proves nothing")
	}
	h, changed, err := Resign(d.scheme, d.secret, d.header, d.body, now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(changed, []string{"Stripe-Signature"}) {
		t.Fatalf("changed %v", changed)
	}
	ev, err := stripewebhook.ConstructEvent(d.body, h.Get("Stripe-Signature"), d.secret)
	if err != nil {
		t.Fatalf("stripe-go refused the re-signed replay: %v", err)
	}
	if ev.ID != "evt_1" || ev.Type != "invoice.paid" {
		t.Fatalf("event %+v", ev)
	}
	if d.header.Get("Stripe-Signature") == h.Get("Stripe-Signature") {
		t.Fatal("Resign changed the caller's header map instead of a copy")
	}
}

// TestResign_TimestampedSchemes: Slack's and Standard Webhooks' re-signed
// replays verify at the new time, keep the message id, and name the
// headers that changed.
func TestResign_TimestampedSchemes(t *testing.T) {
	later := time.Unix(1_780_000_000, 0)
	svix := standardVector
	svix.name, svix.header = "svix", http.Header{}
	for _, k := range []string{"Id", "Timestamp", "Signature"} {
		svix.header.Set("Svix-"+k, standardVector.header.Get("Webhook-"+k))
	}
	cases := []struct {
		d       delivery
		changed []string
	}{
		{slackVector, []string{"X-Slack-Request-Timestamp", "X-Slack-Signature"}},
		{standardVector, []string{"Webhook-Timestamp", "Webhook-Signature"}},
		{svix, []string{"Svix-Timestamp", "Svix-Signature"}},
	}
	for _, c := range cases {
		t.Run(c.d.name, func(t *testing.T) {
			if r := Verify(c.d.scheme, c.d.secret, c.d.header, c.d.body, later); r.Reason != ReasonExpired {
				t.Fatalf("before: %+v", r)
			}
			h, changed, err := Resign(c.d.scheme, c.d.secret, c.d.header, c.d.body, later)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(changed, c.changed) {
				t.Fatalf("changed %v, want %v", changed, c.changed)
			}
			if r := Verify(c.d.scheme, c.d.secret, h, c.d.body, later); !r.Verified {
				t.Fatalf("after: %+v", r)
			}
			if c.d.scheme.Provider == Standard && h.Get("Webhook-Id")+h.Get("Svix-Id") != "msg_p5jXN8AQM9LWM0D4loKWxJek" {
				t.Fatalf("message id changed: %v", h)
			}
		})
	}
}

// TestResign_UntimestampedSchemesAreIdentity: GitHub and plain HMAC sign no
// time, so the stored signature is replayed as it is and nothing changes.
func TestResign_UntimestampedSchemesAreIdentity(t *testing.T) {
	for _, d := range []delivery{githubVector, hmacDelivery("sha256=")} {
		h, changed, err := Resign(d.scheme, d.secret, d.header, d.body, time.Now())
		if err != nil || changed != nil {
			t.Fatalf("%s: changed %v err %v", d.name, changed, err)
		}
		for k, v := range d.header {
			if !slices.Equal(h[k], v) {
				t.Fatalf("%s: header %s changed to %v", d.name, k, h[k])
			}
		}
	}
}

// TestResign_RefusesWhatTheSenderDidNotSign: a forged or altered delivery
// that reached the tunnel is never given a genuine signature.
func TestResign_RefusesWhatTheSenderDidNotSign(t *testing.T) {
	later := time.Unix(1_780_000_000, 0)
	for _, d := range []delivery{slackVector, standardVector, stripeDelivery(later.Add(-time.Hour))} {
		tampered := append(append([]byte{}, d.body...), ' ')
		_, _, err := Resign(d.scheme, d.secret, d.header, tampered, later)
		if domain.ErrorCode(err) != domain.CodeForbidden {
			t.Errorf("%s tampered: err %v, want forbidden", d.name, err)
		}
		_, _, err = Resign(d.scheme, d.secret, http.Header{}, d.body, later)
		if domain.ErrorCode(err) != domain.CodeForbidden {
			t.Errorf("%s unsigned: err %v, want forbidden", d.name, err)
		}
	}
}

// TestResign_RefusesAClockBeforeTheEpoch: no scheme can carry a negative
// timestamp, so Resign refuses rather than sign one nobody can verify.
func TestResign_RefusesAClockBeforeTheEpoch(t *testing.T) {
	for _, d := range []delivery{slackVector, standardVector, stripeDelivery(time.Unix(1_780_000_000, 0))} {
		h, _, err := Resign(d.scheme, d.secret, d.header, d.body, time.Unix(-5, 0))
		if err == nil {
			if r := Verify(d.scheme, d.secret, h, d.body, time.Unix(-5, 0)); !r.Verified {
				t.Fatalf("%s: re-signed at -5 s, and the result does not verify: %+v", d.name, r)
			}
		} else if domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("%s: err %v, want invalid", d.name, err)
		}
	}
}
