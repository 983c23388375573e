package events

// Access-rule payloads (who may reach a tunnel). A basic-auth password is
// only ever held as its argon2id hash (a PHC string, salted and slow to
// guess); nothing here is a secret that could not stay in the log forever.

// ReservationAccessSet records the access rules of a reservation, whole:
// each event replaces the previous rules; one with no rule clears them.
const ReservationAccessSet Type = "reservation.access_set"

// ReservationAccessSetV1 is the rules a reservation's tunnels enforce.
type ReservationAccessSetV1 struct {
	Subdomain string               `json:"subdomain"`
	BasicAuth []AccessCredentialV1 `json:"basicAuth,omitempty"`
	AllowCIDR []string             `json:"allowCidr,omitempty"`
	DenyCIDR  []string             `json:"denyCidr,omitempty"`
	OIDC      *ReservationOIDCV1   `json:"oidc,omitempty"`
}

// ReservationOIDCV1 is a reservation's login: its client secret is in the
// sealed store (edge/sealed) under SecretID, never in the log.
type ReservationOIDCV1 struct {
	Issuer            string   `json:"issuer"`
	ClientID          string   `json:"clientId"`
	SecretID          string   `json:"secretId"`
	SecretFingerprint string   `json:"secretFingerprint"`
	AllowEmail        []string `json:"allowEmail"`
}

// AccessCredentialV1 is one basic-auth user: name and argon2id PHC hash.
type AccessCredentialV1 struct {
	User string `json:"user"`
	Hash string `json:"hash"`
}

// ReservationAccessSetData is the current version.
type ReservationAccessSetData = ReservationAccessSetV1

func (ReservationAccessSetV1) payloadVersion() int { return 1 }

// TunnelAccessSet records the access rules an agent's flags gave a tunnel
// when it opened (appended with its tunnel.opened, in the same
// transaction). The OIDC client secret is never part of it.
const TunnelAccessSet Type = "tunnel.access_set"

// TunnelAccessSetV1 is what a tunnel's agent asked for.
type TunnelAccessSetV1 struct {
	TunnelID  string               `json:"tunnelId"`
	BasicAuth []AccessCredentialV1 `json:"basicAuth,omitempty"`
	AllowCIDR []string             `json:"allowCidr,omitempty"`
	DenyCIDR  []string             `json:"denyCidr,omitempty"`
	OIDC      *TunnelOIDCV1        `json:"oidc,omitempty"`
}

// TunnelOIDCV1 is a tunnel's login, without its client secret.
type TunnelOIDCV1 struct {
	Issuer     string   `json:"issuer"`
	ClientID   string   `json:"clientId"`
	AllowEmail []string `json:"allowEmail"`
}

// TunnelAccessSetData is the current version.
type TunnelAccessSetData = TunnelAccessSetV1

func (TunnelAccessSetV1) payloadVersion() int { return 1 }
