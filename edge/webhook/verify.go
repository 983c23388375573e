package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
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
// clock off). It is Start, Write(body), Result(now) in one call.
func Verify(s Scheme, secret string, h http.Header, body []byte, now time.Time) Result {
	c := Start(s, secret, h)
	_, _ = c.Write(body)
	return c.Result(now)
}

// Check verifies a delivery whose body streams past: the edge writes the
// body into it as it tees the body to capture, so verification needs no
// copy of a body larger than the capture limit. Start reads the headers;
// Write never fails; Result may be called when the body has ended.
type Check struct {
	provider Provider
	reason   string // decided from the headers alone, or ""
	mac      hash.Hash
	sigs     [][]byte
	timed    bool
	pastOnly bool // Stripe's SDK lets a timestamp from the future through
	at       time.Time
}

// Start reads a delivery's signature headers for scheme s.
func Start(s Scheme, secret string, h http.Header) *Check {
	c := &Check{provider: s.Provider}
	key, prefix := []byte(secret), []byte(nil)
	switch s.Provider {
	case Stripe:
		c.timed, c.pastOnly = true, true
		var ts string
		c.reason, ts, c.sigs = stripeHeader(h.Get("Stripe-Signature"))
		c.at, prefix = c.timestamp(ts), []byte(ts+".")
	case GitHub:
		c.reason, c.sigs = hexHeader(h.Get("X-Hub-Signature-256"), "sha256=", true)
	case Slack:
		c.timed = true
		ts := h.Get("X-Slack-Request-Timestamp")
		c.reason, c.sigs = hexHeader(h.Get("X-Slack-Signature"), "v0=", true)
		if c.reason == "" && ts == "" {
			c.reason = ReasonMissing
		}
		c.at, prefix = c.timestamp(ts), []byte("v0:"+ts+":")
	case Standard:
		c.timed = true
		var err error
		if key, err = standardKey(secret); err != nil {
			c.reason = ReasonBadSecret
			break
		}
		_, id, ts, list := standardHeaders(h)
		if list == "" || id == "" || ts == "" {
			c.reason = ReasonMissing
			break
		}
		c.sigs = standardSigs(list)
		if len(c.sigs) == 0 {
			c.reason = ReasonMalformed
		}
		c.at, prefix = c.timestamp(ts), []byte(id+"."+ts+".")
	case HMACSHA256:
		if s.Header == "" {
			c.reason = ReasonBadSecret
			break
		}
		c.reason, c.sigs = hexHeader(h.Get(s.Header), "sha256=", false)
	default:
		c.reason = ReasonBadSecret
	}
	if c.reason == "" {
		c.mac = hmac.New(sha256.New, key)
		c.mac.Write(prefix)
	}
	return c
}

// timestamp parses a signed timestamp, marking the delivery malformed when
// it does not parse (unless something else already decided it).
func (c *Check) timestamp(ts string) time.Time {
	at, ok := parseUnix(ts)
	if !ok && c.reason == "" {
		c.reason = ReasonMalformed
	}
	return at
}

// Write adds body bytes to the signed content. It never fails.
func (c *Check) Write(p []byte) (int, error) {
	if c.mac != nil {
		c.mac.Write(p)
	}
	return len(p), nil
}

// Result is the verdict on the headers and the body written so far, at now.
func (c *Check) Result(now time.Time) Result {
	r := Result{Provider: c.provider, Reason: c.reason}
	if r.Reason == "" {
		switch {
		case !anyEqual(c.sigs, c.mac.Sum(nil)):
			r.Reason = ReasonMismatch
		case c.timed && !fresh(c.at, now, c.pastOnly):
			r.Reason = ReasonExpired
		}
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

// hexHeader reads "<prefix><hex SHA-256 size>" (prefix required when must,
// optional otherwise).
func hexHeader(v, prefix string, must bool) (string, [][]byte) {
	if v == "" {
		return ReasonMissing, nil
	}
	hexSig, had := strings.CutPrefix(v, prefix)
	if must && !had {
		return ReasonMalformed, nil
	}
	sig, err := hex.DecodeString(strings.TrimSpace(hexSig))
	if err != nil || len(sig) != sha256.Size {
		return ReasonMalformed, nil
	}
	return "", [][]byte{sig}
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

// fresh is the tolerance check; pastOnly lets a future timestamp through.
func fresh(at, now time.Time, pastOnly bool) bool {
	d := now.Sub(at)
	return d <= Tolerance && (pastOnly || d >= -Tolerance)
}

// stripeHeader reads "t=<unix>,v1=<hex>[,v1=<hex>...][,v0=...]"; any v1
// may match (Stripe sends two while a secret is being rolled).
func stripeHeader(v string) (reason, ts string, sigs [][]byte) {
	if v == "" {
		return ReasonMissing, "", nil
	}
	for _, pair := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			return ReasonMalformed, "", nil
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
	if len(sigs) == 0 {
		return ReasonMalformed, ts, nil
	}
	return "", ts, sigs
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

// standardSigs reads webhook-signature's space-separated "v1,<base64>"
// list; other versions (v1a, ed25519) are skipped.
func standardSigs(list string) [][]byte {
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
	return sigs
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
