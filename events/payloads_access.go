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
}

// AccessCredentialV1 is one basic-auth user: name and argon2id PHC hash.
type AccessCredentialV1 struct {
	User string `json:"user"`
	Hash string `json:"hash"`
}

// ReservationAccessSetData is the current version.
type ReservationAccessSetData = ReservationAccessSetV1

func (ReservationAccessSetV1) payloadVersion() int { return 1 }
