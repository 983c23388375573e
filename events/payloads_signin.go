package events

import "time"

// Sign-in payloads (the dashboard's passwords and sessions). None holds a
// secret: a password only as its argon2id hash (a PHC string, salted and
// slow to guess), a set-password token and a session's cookie value only
// as their SHA-256, which says nothing of a 256-bit random value.

// The sign-in types.
const (
	AccountPasswordSet         Type = "account.password_set"
	AccountPasswordLinkCreated Type = "account.password_link_created"
	SessionCreated             Type = "session.created"
	SessionRevoked             Type = "session.revoked"
	SigninFailed               Type = "signin.failed"
)

// AccountPasswordSetV1 records a new password hash. Via says who set it:
// "admin" (warren admin, offline or through the operator API) or "link"
// (a one-time set-password link, LinkID).
type AccountPasswordSetV1 struct {
	Hash   string `json:"hash"`
	Via    string `json:"via"`
	LinkID string `json:"linkId,omitempty"`
}

// AccountPasswordLinkCreatedV1 records a one-time set-password link: the
// SHA-256 (hex) of its token, and when it stops working.
type AccountPasswordLinkCreatedV1 struct {
	LinkID    string    `json:"linkId"`
	TokenHash string    `json:"tokenHash"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// SessionCreatedV1 is a successful sign-in. SessionID is the session's
// public name (in lists and DELETE /api/v1/me/sessions/:id); IDHash is the
// SHA-256 (hex) of the cookie's value, which never enters the log.
type SessionCreatedV1 struct {
	SessionID string    `json:"sessionId"`
	IDHash    string    `json:"idHash"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"userAgent"`
	IdleFor   int64     `json:"idleSeconds"` // idle expiry, from the last use
	ExpiresAt time.Time `json:"expiresAt"`   // absolute expiry
}

// SessionRevokedV1 ends a session. Reason is signed_out (DELETE
// /api/v1/session), revoked (one of the list), everywhere (sign out
// everywhere) or password_set.
type SessionRevokedV1 struct {
	SessionID string `json:"sessionId"`
	Reason    string `json:"reason"`
}

// SigninFailedV1 is a failed sign-in to an existing account (the
// envelope's Account). Failures for an email with no account are not
// logged: what was typed there may be a password.
type SigninFailedV1 struct {
	IP        string `json:"ip"`
	UserAgent string `json:"userAgent"`
	Reason    string `json:"reason"` // bad_password, no_password
}

// Current versions.
type (
	AccountPasswordSetData         = AccountPasswordSetV1
	AccountPasswordLinkCreatedData = AccountPasswordLinkCreatedV1
	SessionCreatedData             = SessionCreatedV1
	SessionRevokedData             = SessionRevokedV1
	SigninFailedData               = SigninFailedV1
)

func (AccountPasswordSetV1) payloadVersion() int         { return 1 }
func (AccountPasswordLinkCreatedV1) payloadVersion() int { return 1 }
func (SessionCreatedV1) payloadVersion() int             { return 1 }
func (SessionRevokedV1) payloadVersion() int             { return 1 }
func (SigninFailedV1) payloadVersion() int               { return 1 }
