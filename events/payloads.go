package events

// Payload types. Each is the stored JSON of one event type at one schema
// version, declared here and nowhere else: a field of a domain type can be
// renamed without changing what the log holds. A stored shape never changes;
// a new one is a new type (XV2) with its own registry decoder, and the
// XData alias moves to it. testdata/golden pins every encoding.

// AccountCreatedV1: the account's id is the envelope's Account.
type AccountCreatedV1 struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Plan     string `json:"plan"`
	Operator bool   `json:"operator"`
}

// AccountPlanChangedV1 records a plan change.
type AccountPlanChangedV1 struct {
	Plan string `json:"plan"`
	From string `json:"from"`
}

// KeyCreatedV1 records a new API key; only the hash of its secret.
type KeyCreatedV1 struct {
	KeyID       string `json:"keyId"`
	Prefix      string `json:"prefix"`
	Hash        string `json:"hash"`
	Description string `json:"description"`
}

// KeyRevokedV1 records a revocation.
type KeyRevokedV1 struct {
	KeyID string `json:"keyId"`
}

// ReservationV1 is the payload of reservation.created and reservation.released.
type ReservationV1 struct {
	Subdomain string `json:"subdomain"`
}

// DomainAddedV1 records a custom domain awaiting verification.
type DomainAddedV1 struct {
	DomainID string `json:"domainId"`
	Name     string `json:"name"`
	Token    string `json:"token"`
}

// DomainV1 is the payload of domain.verified and domain.removed.
type DomainV1 struct {
	DomainID string `json:"domainId"`
}

// DomainVerificationFailedV1 says why a DNS check failed.
type DomainVerificationFailedV1 struct {
	DomainID string `json:"domainId"`
	Reason   string `json:"reason"`
}

// TunnelOpenedV1 records a tunnel going live.
type TunnelOpenedV1 struct {
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

// TunnelClosedV1 records a tunnel closing; Reason is one of domain.Close*.
type TunnelClosedV1 struct {
	TunnelID string `json:"tunnelId"`
	Reason   string `json:"reason"`
}

// BodiesPrunedV1 records a retention sweep of one account's bodies
// (request ids From..To inclusive).
type BodiesPrunedV1 struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
	Bytes int64  `json:"bytes"`
}

// The current version of each payload: what commands write and what
// DecodePayload returns.
type (
	AccountCreatedData           = AccountCreatedV1
	AccountPlanChangedData       = AccountPlanChangedV1
	KeyCreatedData               = KeyCreatedV2 // payloads_key.go
	KeyRevokedData               = KeyRevokedV1
	ReservationData              = ReservationV2 // payloads_reservation.go
	DomainAddedData              = DomainAddedV1
	DomainData                   = DomainV1
	DomainVerificationFailedData = DomainVerificationFailedV1
	TunnelOpenedData             = TunnelOpenedV1
	TunnelClosedData             = TunnelClosedV1
	BodiesPrunedData             = BodiesPrunedV1
	RequestCapturedData          = RequestCapturedV3
)

// payload is implemented by every payload type: the schema version its
// encoding is, which the writer stamps on the envelope.
type payload interface{ payloadVersion() int }

func (AccountCreatedV1) payloadVersion() int           { return 1 }
func (AccountPlanChangedV1) payloadVersion() int       { return 1 }
func (KeyCreatedV1) payloadVersion() int               { return 1 }
func (KeyRevokedV1) payloadVersion() int               { return 1 }
func (ReservationV1) payloadVersion() int              { return 1 }
func (DomainAddedV1) payloadVersion() int              { return 1 }
func (DomainV1) payloadVersion() int                   { return 1 }
func (DomainVerificationFailedV1) payloadVersion() int { return 1 }
func (TunnelOpenedV1) payloadVersion() int             { return 1 }
func (TunnelClosedV1) payloadVersion() int             { return 1 }
func (BodiesPrunedV1) payloadVersion() int             { return 1 }
func (RequestCapturedV1) payloadVersion() int          { return 1 }
func (RequestCapturedV2) payloadVersion() int          { return 2 }
func (RequestCapturedV3) payloadVersion() int          { return 3 }
