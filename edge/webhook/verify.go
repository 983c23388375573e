package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far a signed timestamp may be from now, as Stripe's,
// Slack's and the Standard Webhooks SDKs allow by default.
const Tolerance = 5 * time.Minute

// Reasons a delivery did not verify. They are stable words for the API,
// the CLI and filters; a verified delivery has none.
const (
	ReasonMissing   = "missing_signature"   // no signature (or timestamp, or id) header
	ReasonMalformed = "malformed_signature" // present but unreadable
	ReasonMismatch  = "signature_mismatch"  // well-formed, but not made with this secret over this body
	ReasonExpired   = "timestamp_expired"   // genuine, but signed more than Tolerance from now
	ReasonBadSecret = "unusable_secret"     // the stored secret cannot key this scheme
)

// Result is what verification says of one delivery.
type Result struct {
	Provider Provider
	Verified bool
	Reason   string // empty when Verified
}

// Verify checks the signature a delivery carries in h over body with
// secret, at now. It never fails: a bad delivery is a Result with a
// Reason. The signature is checked before the timestamp, so
// timestamp_expired means the delivery is genuine but old (a replay, or a
// clock off).
func Verify(s Scheme, secret string, h http.Header, body []byte, now time.Time) Result {
	r := Result{Provider: s.Provider}
	switch s.Provider {
	case Stripe:
		r.Reason = verifyStripe(secret, h, body, now)
	case GitHub:
		r.Reason = verifyHexHeader(h.Get("X-Hub-Signature-256"), "sha256=", true, []byte(secret), body)
	case Slack:
		r.Reason = verifySlack(secret, h, body, now)
	case Standard:
		r.Reason = verifyStandard(secret, h, body, now)
	case HMACSHA256:
		if s.Header == "" {
			r.Reason = ReasonBadSecret
			break
		}
		r.Reason = verifyHexHeader(h.Get(s.Header), "sha256=", false, []byte(secret), body)
	default:
		r.Reason = ReasonBadSecret
	}
	r.Verified = r.Reason == ""
	return r
}

// mac is HMAC-SHA256 of the concatenated parts.
func mac(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// verifyHexHeader checks "<prefix><hex>" (prefix required when must,
// optional otherwise) against HMAC(key, body).
func verifyHexHeader(v, prefix string, must bool, key, body []byte) string {
	if v == "" {
		return ReasonMissing
	}
	hexSig, had := strings.CutPrefix(v, prefix)
	if must && !had {
		return ReasonMalformed
	}
	sig, err := hex.DecodeString(strings.TrimSpace(hexSig))
	if err != nil || len(sig) != sha256.Size {
		return ReasonMalformed
	}
	if !hmac.Equal(sig, mac(key, body)) {
		return ReasonMismatch
	}
	return ""
}

// parseUnix reads a signed timestamp: decimal seconds, as all three
// timestamped schemes send it.
func parseUnix(v string) (time.Time, bool) {
	if v == "" || len(v) > 19 {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// fresh is the tolerance check; pastOnly is Stripe's SDK, which lets a
// timestamp from the future through (a sender's clock ahead).
func fresh(at, now time.Time, pastOnly bool) bool {
	d := now.Sub(at)
	return d <= Tolerance && (pastOnly || d >= -Tolerance)
}

// verifyStripe: "t=<unix>,v1=<hex>[,v1=<hex>...][,v0=...]"; any v1 may
// match (Stripe sends two while a secret is being rolled).
func verifyStripe(secret string, h http.Header, body []byte, now time.Time) string {
	v := h.Get("Stripe-Signature")
	if v == "" {
		return ReasonMissing
	}
	var ts string
	var sigs [][]byte
	for _, pair := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			return ReasonMalformed
		}
		switch k {
		case "t":
			ts = val
		case "v1":
			if sig, err := hex.DecodeString(val); err == nil && len(sig) == sha256.Size {
				sigs = append(sigs, sig)
			}
		}
	}
	at, ok := parseUnix(ts)
	if !ok || len(sigs) == 0 {
		return ReasonMalformed
	}
	want := mac([]byte(secret), []byte(ts), []byte("."), body)
	if !anyEqual(sigs, want) {
		return ReasonMismatch
	}
	if !fresh(at, now, true) {
		return ReasonExpired
	}
	return ""
}

// verifySlack: X-Slack-Signature "v0=<hex>" over "v0:<ts>:<body>".
func verifySlack(secret string, h http.Header, body []byte, now time.Time) string {
	v, ts := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	if v == "" || ts == "" {
		return ReasonMissing
	}
	at, ok := parseUnix(ts)
	if !ok {
		return ReasonMalformed
	}
	hexSig, had := strings.CutPrefix(v, "v0=")
	sig, err := hex.DecodeString(hexSig)
	if !had || err != nil || len(sig) != sha256.Size {
		return ReasonMalformed
	}
	if !hmac.Equal(sig, mac([]byte(secret), []byte("v0:"+ts+":"), body)) {
		return ReasonMismatch
	}
	if !fresh(at, now, false) {
		return ReasonExpired
	}
	return ""
}

// standardHeaders finds the id, timestamp and signature headers under the
// spec's webhook-* names or Svix's svix-* ones, and says which prefix.
func standardHeaders(h http.Header) (prefix, id, ts, sig string) {
	for _, p := range []string{"Webhook-", "Svix-"} {
		if s := h.Get(p + "Signature"); s != "" {
			return p, h.Get(p + "Id"), h.Get(p + "Timestamp"), s
		}
	}
	return "", "", "", ""
}

// verifyStandard: webhook-signature is a space-separated list of
// "v1,<base64>" (other versions, e.g. v1a for ed25519, are skipped).
func verifyStandard(secret string, h http.Header, body []byte, now time.Time) string {
	key, err := standardKey(secret)
	if err != nil {
		return ReasonBadSecret
	}
	_, id, ts, list := standardHeaders(h)
	if list == "" || id == "" || ts == "" {
		return ReasonMissing
	}
	at, ok := parseUnix(ts)
	if !ok {
		return ReasonMalformed
	}
	var sigs [][]byte
	for _, item := range strings.Fields(list) {
		ver, b64, ok := strings.Cut(item, ",")
		if !ok || ver != "v1" {
			continue
		}
		if sig, err := base64.StdEncoding.DecodeString(b64); err == nil && len(sig) == sha256.Size {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return ReasonMalformed
	}
	if !anyEqual(sigs, mac(key, []byte(id+"."+ts+"."), body)) {
		return ReasonMismatch
	}
	if !fresh(at, now, false) {
		return ReasonExpired
	}
	return ""
}

// anyEqual compares want with every candidate in constant time each, and
// looks at all of them, so timing says nothing about which matched.
func anyEqual(sigs [][]byte, want []byte) bool {
	ok := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	return ok
}
