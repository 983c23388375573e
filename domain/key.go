package domain

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash/crc32"
	"io"
	"math/big"
	"strings"
	"time"
)

// APIKey is an account's credential. Only the SHA-256 of its secret is kept.
type APIKey struct {
	ID          string     `json:"id"`
	AccountID   string     `json:"accountId"`
	Prefix      string     `json:"prefix"` // the first characters of the secret, safe to show
	Hash        string     `json:"hash"`   // hex SHA-256 of the whole secret
	Description string     `json:"description"`
	CreatedAt   time.Time  `json:"createdAt"`
	RevokedAt   *time.Time `json:"revokedAt,omitempty"`
}

// Revoked reports whether the key can no longer authenticate.
func (k APIKey) Revoked() bool { return k.RevokedAt != nil }

// Key secrets are "ak_" + 22 base62 characters (128 random bits) + a 6
// character base62 CRC-32 of those 22, so a typo is caught without a lookup.
const (
	KeyPrefix       = "ak_"
	keyRandomChars  = 22
	keyCheckChars   = 6
	keySecretLength = len(KeyPrefix) + keyRandomChars + keyCheckChars
	keyShownChars   = len(KeyPrefix) + 6
	base62Alphabet  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// NewKeySecret draws a new key secret from rnd (crypto/rand.Reader in
// production). It fails only when rnd fails.
func NewKeySecret(rnd io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", &Error{Code: CodeInternal, Message: "reading randomness", Err: err}
	}
	body := base62(new(big.Int).SetBytes(b[:]), keyRandomChars)
	return KeyPrefix + body + keyChecksum(body), nil
}

func keyChecksum(body string) string {
	return base62(new(big.Int).SetUint64(uint64(crc32.ChecksumIEEE([]byte(body)))), keyCheckChars)
}

// base62 renders n in exactly width characters, left-padded with '0'.
func base62(n *big.Int, width int) string {
	out := make([]byte, width)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = base62Alphabet[mod.Int64()]
	}
	return string(out)
}

// CheckKeySecret checks a secret's shape and checksum without any lookup.
// It fails with CodeUnauthorized, so callers can return it as is.
func CheckKeySecret(secret string) error {
	if len(secret) != keySecretLength || !strings.HasPrefix(secret, KeyPrefix) {
		return Errorf(CodeUnauthorized, "malformed API key")
	}
	body := secret[len(KeyPrefix) : len(KeyPrefix)+keyRandomChars]
	for i := len(KeyPrefix); i < len(secret); i++ {
		if strings.IndexByte(base62Alphabet, secret[i]) < 0 {
			return Errorf(CodeUnauthorized, "malformed API key")
		}
	}
	if subtle.ConstantTimeCompare([]byte(keyChecksum(body)), []byte(secret[len(KeyPrefix)+keyRandomChars:])) != 1 {
		return Errorf(CodeUnauthorized, "API key checksum mismatch (a typo?)")
	}
	return nil
}

// HashKeySecret returns the hex SHA-256 under which a key is stored and looked up.
func HashKeySecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// KeyShownPrefix is the part of a secret that may be displayed later.
func KeyShownPrefix(secret string) string {
	if len(secret) < keyShownChars {
		return secret
	}
	return secret[:keyShownChars]
}

// KeyHashEqual compares two hex hashes in constant time.
func KeyHashEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// BearerSecret reads the API key from an Authorization header value. The
// scheme is matched case-insensitively (RFC 9110 §11.1: "bearer ak_…" is as
// good as "Bearer ak_…") and may be followed by any run of spaces or tabs;
// the credential must then be a well-formed key secret (see CheckKeySecret).
// Every failure is CodeUnauthorized. presented is false only for an empty
// header: no credential at all, which is no failed attempt to count.
func BearerSecret(header string) (secret string, presented bool, err error) {
	h := strings.Trim(header, " \t")
	if h == "" {
		return "", false, Errorf(CodeUnauthorized, "send an API key: Authorization: Bearer ak_…")
	}
	i := strings.IndexAny(h, " \t")
	if i < 0 || !strings.EqualFold(h[:i], "Bearer") {
		return "", true, Errorf(CodeUnauthorized, "send an API key: Authorization: Bearer ak_…")
	}
	secret = strings.Trim(h[i:], " \t")
	if err := CheckKeySecret(secret); err != nil {
		return "", true, err
	}
	return secret, true, nil
}

// BadKeyError is the one error for a well-formed key that does not
// authenticate, unknown or revoked alike: the answer must not tell which.
func BadKeyError() error { return Errorf(CodeUnauthorized, "unknown or revoked API key") }
