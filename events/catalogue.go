package events

import "warren/domain"

// Type names an event. Types are never renamed; a new shape of the same fact
// is a new schema version of the same type.
type Type string

// The catalogue. docs/events.md describes each one.
const (
	AccountCreated           Type = "account.created"
	AccountPlanChanged       Type = "account.plan_changed"
	KeyCreated               Type = "key.created"
	KeyRevoked               Type = "key.revoked"
	ReservationCreated       Type = "reservation.created"
	ReservationReleased      Type = "reservation.released"
	DomainAdded              Type = "domain.added"
	DomainVerified           Type = "domain.verified"
	DomainVerificationFailed Type = "domain.verification_failed"
	DomainRemoved            Type = "domain.removed"
	TunnelOpened             Type = "tunnel.opened"
	TunnelClosed             Type = "tunnel.closed"
	RequestCaptured          Type = "request.captured"
	BodiesPruned             Type = "bodies.pruned"
)

// Types lists the catalogue in a stable order.
func Types() []Type {
	return []Type{AccountCreated, AccountPlanChanged, KeyCreated, KeyRevoked,
		ReservationCreated, ReservationReleased, DomainAdded, DomainVerified,
		DomainVerificationFailed, DomainRemoved, TunnelOpened, TunnelClosed,
		RequestCaptured, BodiesPruned}
}

// CurrentVersion is the schema version new events of every type are written with.
const CurrentVersion = 1

// AccountCreatedData: the account's id is the envelope's Account.
type AccountCreatedData struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Plan     string `json:"plan"`
	Operator bool   `json:"operator"`
}

// AccountPlanChangedData records a plan change.
type AccountPlanChangedData struct {
	Plan string `json:"plan"`
	From string `json:"from"`
}

// KeyCreatedData records a new API key; only the hash of its secret.
type KeyCreatedData struct {
	KeyID       string `json:"keyId"`
	Prefix      string `json:"prefix"`
	Hash        string `json:"hash"`
	Description string `json:"description"`
}

// KeyRevokedData records a revocation.
type KeyRevokedData struct {
	KeyID string `json:"keyId"`
}

// ReservationData is the payload of reservation.created and reservation.released.
type ReservationData struct {
	Subdomain string `json:"subdomain"`
}

// DomainAddedData records a custom domain awaiting verification.
type DomainAddedData struct {
	DomainID string `json:"domainId"`
	Name     string `json:"name"`
	Token    string `json:"token"`
}

// DomainData is the payload of domain.verified and domain.removed.
type DomainData struct {
	DomainID string `json:"domainId"`
}

// DomainVerificationFailedData says why a DNS check failed.
type DomainVerificationFailedData struct {
	DomainID string `json:"domainId"`
	Reason   string `json:"reason"`
}

// TunnelOpenedData records a tunnel going live.
type TunnelOpenedData struct {
	TunnelID   string `json:"tunnelId"`
	SessionID  string `json:"sessionId"`
	KeyID      string `json:"keyId"`
	Proto      string `json:"proto"`
	Subdomain  string `json:"subdomain,omitempty"`
	Port       int    `json:"port,omitempty"`
	URL        string `json:"url"`
	Local      string `json:"local,omitempty"`
	RemoteAddr string `json:"remoteAddr"`
}

// TunnelClosedData records a tunnel closing; Reason is one of domain.Close*.
type TunnelClosedData struct {
	TunnelID string `json:"tunnelId"`
	Reason   string `json:"reason"`
}

// RequestCapturedData is the captured exchange. Its ID, AccountID and
// CreatedAt are the envelope's id, account and at, left empty in the payload.
type RequestCapturedData = domain.CapturedRequest

// BodiesPrunedData records a retention sweep of one account's bodies
// (request ids From..To inclusive).
type BodiesPrunedData struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
	Bytes int64  `json:"bytes"`
}
