package webhook

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzParseSpec: any flag value parses or fails with CodeInvalid, never
// panics, never quotes its secret in the error; what parses prints back to
// a spec that parses the same, and its scheme verifies without panicking.
// Seeds: f.Add below and testdata/fuzz/FuzzParseSpec.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"stripe:whsec_abc123", "github:It's a Secret to Everybody", "slack:8f742231b10e8888abcd99yyyzzz85a5",
		"standard:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "hmac-sha256:X-Signature:secret",
		"hmac-sha256:X-Sig", "stripe:sk_live_123", "::", "standard:whsec_====",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, secret, err := ParseSpec(in)
		if err != nil {
			if _, sec, ok := strings.Cut(in, ":"); ok && len(sec) >= 12 && strings.Contains(err.Error(), sec) {
				t.Fatalf("error quotes the secret: %v", err)
			}
			return
		}
		s2, secret2, err := ParseSpec(s.String() + ":" + secret)
		if err != nil || s2 != s || secret2 != secret {
			t.Fatalf("round trip of %q: %v %q %v", in, s2, secret2, err)
		}
		h := http.Header{}
		h.Set("X-Signature", secret)
		if r := Verify(s, secret, h, []byte(in), time.Unix(0, 0)); r.Verified {
			t.Fatalf("verified a delivery with no signature: %+v", r)
		}
	})
}

// FuzzVerifyResign feeds each scheme arbitrary signature headers and
// bodies: Verify never panics, and whenever Resign agrees to re-sign, what
// it returns verifies at the new time.
func FuzzVerifyResign(f *testing.F) {
	for i, d := range allDeliveries() {
		var vals [3]string
		for j, k := range headerNames(d.scheme) {
			vals[j] = d.header.Get(k)
		}
		f.Add(uint8(i), vals[0], vals[1], vals[2], d.body, d.signedAt.Unix()+3600)
	}
	f.Fuzz(func(t *testing.T, which uint8, v0, v1, v2 string, body []byte, now int64) {
		all := allDeliveries()
		d := all[int(which)%len(all)]
		h := http.Header{}
		for j, k := range headerNames(d.scheme) {
			if v := []string{v0, v1, v2}[j]; v != "" {
				h.Set(k, v)
			}
		}
		at := time.Unix(now%(1<<40), 0)
		_ = Verify(d.scheme, d.secret, h, body, at)
		out, _, err := Resign(d.scheme, d.secret, h, body, at)
		if err != nil || !d.scheme.Timestamped() {
			return
		}
		if r := Verify(d.scheme, d.secret, out, body, at); !r.Verified {
			t.Fatalf("re-signed delivery does not verify: %+v", r)
		}
	})
}

// headerNames are the headers a scheme reads, in a fixed order.
func headerNames(s Scheme) []string {
	switch s.Provider {
	case Stripe:
		return []string{"Stripe-Signature"}
	case GitHub:
		return []string{"X-Hub-Signature-256"}
	case Slack:
		return []string{"X-Slack-Request-Timestamp", "X-Slack-Signature"}
	case Standard:
		return []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}
	default:
		return []string{s.Header}
	}
}
