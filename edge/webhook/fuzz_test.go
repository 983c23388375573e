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
