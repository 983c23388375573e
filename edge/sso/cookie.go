package sso

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// signer signs and checks the gate's cookies: base64url(JSON) "."
// base64url(HMAC-SHA256(key, purpose 0 JSON)). The purpose keeps a value
// signed for one cookie from being accepted as another.
type signer struct{ key []byte }

func (s signer) mac(purpose string, payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(payload)
	return m.Sum(nil)
}

func (s signer) sign(purpose string, v any) (string, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(s.mac(purpose, payload)), nil
}

// open checks value's signature for purpose and decodes it into v.
func (s signer) open(purpose, value string, v any) bool {
	p, m, ok := strings.Cut(value, ".")
	if !ok || len(value) > 4096 {
		return false
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(m)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(purpose, payload)) {
		return false
	}
	return json.Unmarshal(payload, v) == nil
}

// session is what the session cookie holds: who signed in, for which host,
// until when.
type session struct {
	Email string `json:"e"`
	Host  string `json:"h"`
	Exp   int64  `json:"x"` // unix seconds
}

// flow is what the login cookie holds between the redirect to the issuer
// and the callback: the values the callback must see again, and where to
// resume.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // PKCE code verifier
	Return   string `json:"r"` // the original request URI, on the same host
	Host     string `json:"h"`
	Exp      int64  `json:"x"`
}

func expired(exp int64, now time.Time) bool { return now.Unix() >= exp }
