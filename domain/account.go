package domain

import (
	"strings"
	"time"
)

// Account is a tenant: everything else belongs to exactly one account.
type Account struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Plan      string    `json:"plan"`
	Operator  bool      `json:"operator"`
	CreatedAt time.Time `json:"createdAt"`
}

// NormalizeEmail lowercases and trims an email address and checks its shape.
// It fails with CodeInvalid.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	at := strings.LastIndexByte(e, '@')
	if len(e) > 254 || at < 1 || at == len(e)-1 || strings.ContainsAny(e, " \t\r\n<>,;\"") ||
		!strings.Contains(e[at+1:], ".") && e[at+1:] != "localhost" {
		return "", Errorf(CodeInvalid, "%q is not an email address", email)
	}
	return e, nil
}

// ValidateName checks an account or key display name.
func ValidateName(kind, name string) error {
	if len(name) > 200 {
		return Errorf(CodeInvalid, "%s is longer than 200 bytes", kind)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return Errorf(CodeInvalid, "%s contains a control character", kind)
		}
	}
	return nil
}
