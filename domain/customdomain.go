package domain

import (
	"encoding/hex"
	"io"
	"time"
)

// Custom domain states.
const (
	DomainPending  = "pending"
	DomainVerified = "verified"
	DomainFailed   = "failed"
)

// ChallengePrefix is the label under which the TXT record is published.
const ChallengePrefix = "_warren-challenge."

// CustomDomain is a hostname an account routes to its tunnels once it proved,
// by a DNS TXT record, that it controls it.
type CustomDomain struct {
	ID         string     `json:"id"`
	AccountID  string     `json:"accountId"`
	Name       string     `json:"name"`
	Token      string     `json:"token"`
	State      string     `json:"state"`
	LastError  string     `json:"lastError,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	VerifiedAt *time.Time `json:"verifiedAt,omitempty"`
	CheckedAt  *time.Time `json:"checkedAt,omitempty"`
}

// ChallengeName is the DNS name whose TXT record must hold the token.
func (d CustomDomain) ChallengeName() string { return ChallengePrefix + d.Name }

// NewDomainToken draws a verification token from rnd.
func NewDomainToken(rnd io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", &Error{Code: CodeInternal, Message: "reading randomness", Err: err}
	}
	return "warren-verify=" + hex.EncodeToString(b[:]), nil
}

// CheckAddDomain decides whether caller may add name: valid, not the base
// domain or under it, not already on the caller's account, not verified by
// another account, and within the plan's domain limit.
func CheckAddDomain(plan Plan, caller, name, baseDomain string, owners []CustomDomain, used int64) error {
	if err := ValidateHostname(name); err != nil {
		return err
	}
	if name == baseDomain || len(name) > len(baseDomain) && name[len(name)-len(baseDomain)-1:] == "."+baseDomain {
		return Errorf(CodeInvalid, "domain %q is under Warren's own base domain", name)
	}
	for _, d := range owners {
		if d.AccountID == caller {
			return Errorf(CodeConflict, "domain %q is already on your account", name)
		}
		if d.State == DomainVerified {
			return Errorf(CodeConflict, "domain %q is verified by another account", name)
		}
	}
	if !Allows(plan.Limits.Domains, used) {
		return Errorf(CodeQuota, "the %s plan allows %d domains", plan.Name, *plan.Limits.Domains)
	}
	return nil
}
