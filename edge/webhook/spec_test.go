package webhook

import (
	"strings"
	"testing"

	"warren/domain"
)

// TestParseSpec reads each flag form into a scheme and a secret, and
// refuses the rest without quoting it.
func TestParseSpec(t *testing.T) {
	ok := []struct {
		in, scheme, secret string
	}{
		{"stripe:whsec_abc123", "stripe", "whsec_abc123"},
		{"Stripe:whsec_abc123", "stripe", "whsec_abc123"},
		{"github:It's a Secret to Everybody", "github", "It's a Secret to Everybody"},
		{"slack:8f742231b10e8888abcd99yyyzzz85a5", "slack", "8f742231b10e8888abcd99yyyzzz85a5"},
		{"standard:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{"standard:MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "standard", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{"hmac-sha256:x-signature:s3cr:et", "hmac-sha256:X-Signature", "s3cr:et"},
		{"github:a:b", "github", "a:b"},
	}
	for _, c := range ok {
		s, secret, err := ParseSpec(c.in)
		if err != nil || s.String() != c.scheme || secret != c.secret {
			t.Errorf("ParseSpec(%q) = %q, %q, %v; want %q, %q", c.in, s, secret, err, c.scheme, c.secret)
		}
	}
	bad := []string{
		"", "stripe", "stripe:", "stripe:sk_live_abcdefgh", "stripe:notasecret", "stripe:whsec_",
		"github:", "slack:line\nbreak", "standard:whsec_not base64!", "standard:whsec_",
		"hmac-sha256:secretonly", "hmac-sha256::secret", "hmac-sha256:X Sig:secret", "hmac-sha256:X-Sig:",
		"whsec_abcdefgh", "paypal:secretsecret", "github:" + strings.Repeat("a", maxSecret+1),
	}
	for _, in := range bad {
		_, _, err := ParseSpec(in)
		if domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("ParseSpec(%q): err %v, want invalid", in, err)
			continue
		}
		if _, secret, ok := strings.Cut(in, ":"); ok && len(secret) >= 8 && strings.Contains(err.Error(), secret) {
			t.Errorf("ParseSpec(%q): the error quotes the secret: %v", in, err)
		}
	}
}
