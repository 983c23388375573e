package webhook

import (
	"encoding/base64"
	"net/http"
	"strings"

	"warren/domain"
)

// Provider names a signature scheme.
type Provider string

// The schemes Warren verifies.
const (
	Stripe     Provider = "stripe"
	GitHub     Provider = "github"
	Slack      Provider = "slack"
	Standard   Provider = "standard" // Standard Webhooks (Svix, Clerk, Resend, ...)
	HMACSHA256 Provider = "hmac-sha256"
)

// Scheme is the non-secret half of a verifier: safe to store in an event,
// show in the API and print in a log.
type Scheme struct {
	Provider Provider
	// Header is the header carrying the signature, for HMACSHA256 only
	// (canonical form, e.g. "X-Signature"); empty for the others.
	Header string
}

// String is the flag form without the secret: "stripe", "hmac-sha256:X-Sig".
func (s Scheme) String() string {
	if s.Provider == HMACSHA256 {
		return string(s.Provider) + ":" + s.Header
	}
	return string(s.Provider)
}

// Timestamped reports whether the scheme signs a timestamp, so that a
// delivery expires and Resign has something to renew.
func (s Scheme) Timestamped() bool {
	return s.Provider == Stripe || s.Provider == Slack || s.Provider == Standard
}

// Limits on a flag, so a pasted file or a typo fails early.
const (
	maxSecret = 1024
	maxHeader = 128
)

// ParseSpec reads a --verify-webhook value: "stripe:whsec_...",
// "github:SECRET", "slack:SECRET", "standard:whsec_<base64>" (the whsec_
// prefix is optional), or "hmac-sha256:HEADER:SECRET". The provider name is
// case-insensitive; the secret is kept exactly as given.
//
// CodeInvalid for anything else. The error never quotes the input: a
// mistyped spec is most often a secret in the wrong place.
func ParseSpec(spec string) (Scheme, string, error) {
	bad := func(format string, args ...any) (Scheme, string, error) {
		return Scheme{}, "", domain.Errorf(domain.CodeInvalid, "--verify-webhook: "+format, args...)
	}
	name, rest, ok := strings.Cut(spec, ":")
	if !ok {
		return bad("want PROVIDER:SECRET (providers: stripe, github, slack, standard, hmac-sha256:HEADER)")
	}
	s := Scheme{Provider: Provider(strings.ToLower(name))}
	secret := rest
	switch s.Provider {
	case Stripe:
		if strings.HasPrefix(secret, "sk_") || strings.HasPrefix(secret, "rk_") || strings.HasPrefix(secret, "pk_") {
			return bad("stripe: that is an API key; give the endpoint's signing secret (whsec_...)")
		}
		if !strings.HasPrefix(secret, "whsec_") || len(secret) == len("whsec_") {
			return bad("stripe: a signing secret starts with whsec_ (Dashboard > Webhooks, or `stripe listen`)")
		}
	case GitHub, Slack:
	case Standard:
		if _, err := standardKey(secret); err != nil {
			return bad("standard: the secret is whsec_ followed by base64")
		}
	case HMACSHA256:
		h, sec, ok := strings.Cut(rest, ":")
		if !ok || !validHeaderName(h) {
			return bad("hmac-sha256: want hmac-sha256:HEADER:SECRET with a header name of letters, digits and -")
		}
		s.Header, secret = canonicalHeader(h), sec
	default:
		return bad("unknown provider; want stripe, github, slack, standard or hmac-sha256:HEADER")
	}
	if err := checkSecret(secret); err != nil {
		return bad("%s: %s", s.Provider, err.Message)
	}
	return s, secret, nil
}

// checkSecret refuses what no provider issues: an empty or huge secret, or
// one with control characters (a pasted newline, most often).
func checkSecret(secret string) *domain.Error {
	if secret == "" {
		return domain.Errorf(domain.CodeInvalid, "the secret is empty")
	}
	if len(secret) > maxSecret {
		return domain.Errorf(domain.CodeInvalid, "the secret is longer than %d bytes", maxSecret)
	}
	for i := 0; i < len(secret); i++ {
		if c := secret[i]; c < 0x20 || c == 0x7f {
			return domain.Errorf(domain.CodeInvalid, "the secret holds a control character (a pasted newline?)")
		}
	}
	return nil
}

// standardKey is the HMAC key of a Standard Webhooks secret: the base64
// after the optional whsec_ prefix.
func standardKey(secret string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err == nil && len(b) == 0 {
		err = domain.Errorf(domain.CodeInvalid, "empty key")
	}
	return b, err
}

// validHeaderName accepts the names people give signature headers: an
// RFC 9110 token, restricted to letters, digits, '-' and '_'.
func validHeaderName(h string) bool {
	if h == "" || len(h) > maxHeader {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// canonicalHeader is the form http.Header.Get looks up.
func canonicalHeader(h string) string { return http.CanonicalHeaderKey(h) }
