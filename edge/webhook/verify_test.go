package webhook

import (
	"net/http"
	"testing"
	"time"
)

// TestVerify_EachProvider: every scheme accepts a genuine delivery and
// refuses a tampered body, a wrong secret and (when it signs a timestamp)
// an expired one, with the reason that says which.
func TestVerify_EachProvider(t *testing.T) {
	for _, d := range allDeliveries() {
		t.Run(d.name, func(t *testing.T) {
			soon := d.signedAt.Add(10 * time.Second)
			if d.signedAt.IsZero() {
				soon = time.Unix(1_780_000_000, 0)
			}
			check := func(t *testing.T, r Result, verified bool, reason string) {
				t.Helper()
				if r.Verified != verified || r.Reason != reason || r.Provider != d.scheme.Provider {
					t.Fatalf("got %+v, want verified=%v reason=%q provider=%s", r, verified, reason, d.scheme.Provider)
				}
			}
			t.Run("OK", func(t *testing.T) {
				check(t, Verify(d.scheme, d.secret, d.header, d.body, soon), true, "")
			})
			t.Run("ErrTamperedBody", func(t *testing.T) {
				body := append([]byte{}, d.body...)
				body[len(body)-1] ^= 1
				check(t, Verify(d.scheme, d.secret, d.header, body, soon), false, ReasonMismatch)
			})
			t.Run("ErrWrongSecret", func(t *testing.T) {
				wrong := d.secret[:len(d.secret)-1] + "x"
				if d.scheme.Provider == Standard {
					wrong = "whsec_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
				}
				check(t, Verify(d.scheme, wrong, d.header, d.body, soon), false, ReasonMismatch)
			})
			t.Run("ErrExpired", func(t *testing.T) {
				later := soon.Add(Tolerance)
				if d.scheme.Timestamped() {
					check(t, Verify(d.scheme, d.secret, d.header, d.body, later), false, ReasonExpired)
				} else {
					// No timestamp is signed: a year on, still genuine.
					check(t, Verify(d.scheme, d.secret, d.header, d.body, soon.AddDate(1, 0, 0)), true, "")
				}
			})
			t.Run("ErrMissing", func(t *testing.T) {
				check(t, Verify(d.scheme, d.secret, http.Header{}, d.body, soon), false, ReasonMissing)
			})
		})
	}
}

// TestVerify_TimestampFromTheFuture: Slack and Standard Webhooks refuse a
// timestamp more than the tolerance ahead; Stripe's SDK does not, and
// neither does Warren for Stripe.
func TestVerify_TimestampFromTheFuture(t *testing.T) {
	early := func(d delivery) time.Time { return d.signedAt.Add(-Tolerance - time.Second) }
	for _, d := range []delivery{slackVector, standardVector} {
		if r := Verify(d.scheme, d.secret, d.header, d.body, early(d)); r.Reason != ReasonExpired {
			t.Errorf("%s: got %+v, want %s", d.name, r, ReasonExpired)
		}
	}
	d := stripeDelivery(time.Unix(1_780_000_000, 0))
	if r := Verify(d.scheme, d.secret, d.header, d.body, early(d)); !r.Verified {
		t.Errorf("stripe: got %+v, want verified as stripe-go does", r)
	}
}

// TestVerify_MalformedHeaders: unreadable signatures are malformed, never a
// panic and never verified.
func TestVerify_MalformedHeaders(t *testing.T) {
	now := time.Unix(1614265330, 0)
	cases := []struct {
		name   string
		scheme Scheme
		h      http.Header
	}{
		{"stripe no t", Scheme{Provider: Stripe}, http.Header{"Stripe-Signature": {"v1=00"}}},
		{"stripe garbage", Scheme{Provider: Stripe}, http.Header{"Stripe-Signature": {"nonsense"}}},
		{"stripe only v0", Scheme{Provider: Stripe}, http.Header{"Stripe-Signature": {"t=1614265330,v0=abcd"}}},
		{"github no prefix", Scheme{Provider: GitHub}, http.Header{"X-Hub-Signature-256": {"757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}}},
		{"github sha1", Scheme{Provider: GitHub}, http.Header{"X-Hub-Signature-256": {"sha1=0123"}}},
		{"slack bad ts", Scheme{Provider: Slack}, http.Header{"X-Slack-Request-Timestamp": {"soon"}, "X-Slack-Signature": {"v0=00"}}},
		{"slack v1", Scheme{Provider: Slack}, http.Header{"X-Slack-Request-Timestamp": {"1614265330"}, "X-Slack-Signature": {"v1=00"}}},
		{"standard only v1a", Scheme{Provider: Standard}, http.Header{"Webhook-Id": {"m"}, "Webhook-Timestamp": {"1614265330"}, "Webhook-Signature": {"v1a,AAAA"}}},
		{"hmac not hex", Scheme{Provider: HMACSHA256, Header: "X-Sig"}, http.Header{"X-Sig": {"zz"}}},
	}
	for _, c := range cases {
		r := Verify(c.scheme, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", c.h, []byte("{}"), now)
		if r.Verified || r.Reason != ReasonMalformed {
			t.Errorf("%s: got %+v, want %s", c.name, r, ReasonMalformed)
		}
	}
}

// TestVerify_SeveralSignatures: a rolled secret sends two signatures; one
// matching is enough (Stripe's v1 list, Standard's space-separated list).
func TestVerify_SeveralSignatures(t *testing.T) {
	d := standardVector
	h := d.header.Clone()
	h.Set("Webhook-Signature", "v1,bm9wZQ== v1a,AAAA "+d.header.Get("Webhook-Signature"))
	if r := Verify(d.scheme, d.secret, h, d.body, d.signedAt); !r.Verified {
		t.Fatalf("standard: %+v", r)
	}
	s := stripeDelivery(time.Unix(1_780_000_000, 0))
	h = s.header.Clone()
	h.Set("Stripe-Signature", h.Get("Stripe-Signature")+",v1="+"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
	if r := Verify(s.scheme, s.secret, h, s.body, s.signedAt); !r.Verified {
		t.Fatalf("stripe: %+v", r)
	}
}

// TestVerify_SvixHeaderNames: Svix (and Clerk, Resend) send the Standard
// scheme under svix-* names by default.
func TestVerify_SvixHeaderNames(t *testing.T) {
	d := standardVector
	h := http.Header{}
	for _, k := range []string{"Id", "Timestamp", "Signature"} {
		h.Set("Svix-"+k, d.header.Get("Webhook-"+k))
	}
	if r := Verify(d.scheme, d.secret, h, d.body, d.signedAt); !r.Verified {
		t.Fatalf("%+v", r)
	}
}

// TestCheck_StreamedBodyVerifiesAsAWhole: a body written in small pieces,
// as the edge tees it, gets the same verdict as the whole body, genuine or
// tampered.
func TestCheck_StreamedBodyVerifiesAsAWhole(t *testing.T) {
	for _, d := range allDeliveries() {
		now := d.signedAt.Add(time.Second)
		for _, body := range [][]byte{d.body, append(append([]byte{}, d.body...), '!')} {
			c := Start(d.scheme, d.secret, d.header)
			for i := 0; i < len(body); i += 3 {
				if n, err := c.Write(body[i:min(i+3, len(body))]); err != nil || n != min(3, len(body)-i) {
					t.Fatalf("%s: Write = %d, %v", d.name, n, err)
				}
			}
			if got, want := c.Result(now), Verify(d.scheme, d.secret, d.header, body, now); got != want {
				t.Fatalf("%s: streamed %+v, whole %+v", d.name, got, want)
			}
		}
		if r := Verify(d.scheme, d.secret, d.header, d.body, now); !r.Verified {
			t.Fatalf("%s: %+v", d.name, r)
		}
	}
}
