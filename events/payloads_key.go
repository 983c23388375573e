package events

// KeyCreatedV2 is key.created with where the key came from. Via is "" for
// a key made through the API or warren admin (every v1 event reads so),
// and "device" for one minted by a device login (`warren login` approved
// in the browser, RFC 8628); then SessionID names the dashboard session
// that approved it, so the audit log says who let the device in.
type KeyCreatedV2 struct {
	KeyID       string `json:"keyId"`
	Prefix      string `json:"prefix"`
	Hash        string `json:"hash"`
	Description string `json:"description"`
	Via         string `json:"via,omitempty"`
	SessionID   string `json:"sessionId,omitempty"`
}

// KeyViaDevice is KeyCreatedV2.Via for a key a device login minted.
const KeyViaDevice = "device"

func (KeyCreatedV2) payloadVersion() int { return 2 }

// upgrade reads a v1 payload as v2: a key from before device logins.
func (p *KeyCreatedV1) upgrade() *KeyCreatedV2 {
	return &KeyCreatedV2{KeyID: p.KeyID, Prefix: p.Prefix, Hash: p.Hash, Description: p.Description}
}
