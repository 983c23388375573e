package dashboard

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

// NewToken is 256 random bits from rnd, base64url without padding: a
// session id or a set-password link's token.
func NewToken(rnd io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", fmt.Errorf("reading a token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// TokenHash is what the log keeps of a token or session id: SHA-256, hex.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// SetPasswordURL is the one-time link a token opens (the token rides in
// the fragment, so it never reaches a server log or a Referer).
func SetPasswordURL(base, token string) string {
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + "/set-password#" + token
}
