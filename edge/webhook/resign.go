package webhook

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"warren/domain"
)

// Resign returns a copy of h whose signature is made afresh at now over
// body, and the names of the headers it changed, so a replay of a captured
// delivery passes the receiver's freshness check.
//
// Only the timestamped schemes (Stripe, Slack, Standard Webhooks) change
// anything. GitHub and hmac-sha256 sign no timestamp, so the stored
// signature is as good as new: Resign returns an unchanged copy and no
// changed headers (Scheme.Timestamped says which case applies).
//
// Resign signs only what the sender signed: the delivery must carry a
// genuine signature over this body, at any age, or Resign fails with
// CodeForbidden and the reason — otherwise re-signing would turn a forged
// request that reached the tunnel into one the receiver trusts. (A replay
// that overrides the body is therefore not re-signed by this function.)
// CodeInvalid for a now before 1970, which no scheme can carry.
func Resign(s Scheme, secret string, h http.Header, body []byte, now time.Time) (http.Header, []string, error) {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	if !s.Timestamped() {
		return out, nil, nil
	}
	if now.Unix() < 0 {
		return nil, nil, domain.Errorf(domain.CodeInvalid, "not re-signing at %s: signed timestamps start at 1970", now.UTC().Format(time.RFC3339))
	}
	if r := Verify(s, secret, h, body, now); !r.Verified && r.Reason != ReasonExpired {
		return nil, nil, domain.Errorf(domain.CodeForbidden,
			"not re-signing a %s delivery whose signature does not verify (%s)", s.Provider, r.Reason)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	switch s.Provider {
	case Stripe:
		sig := mac([]byte(secret), []byte(ts), []byte("."), body)
		out.Set("Stripe-Signature", "t="+ts+",v1="+hex.EncodeToString(sig))
		return out, []string{"Stripe-Signature"}, nil
	case Slack:
		sig := mac([]byte(secret), []byte("v0:"+ts+":"), body)
		out.Set("X-Slack-Request-Timestamp", ts)
		out.Set("X-Slack-Signature", "v0="+hex.EncodeToString(sig))
		return out, []string{"X-Slack-Request-Timestamp", "X-Slack-Signature"}, nil
	default: // Standard
		key, _ := standardKey(secret) // Verify above proved it decodes
		prefix, id, _, _ := standardHeaders(h)
		sig := mac(key, []byte(id+"."+ts+"."), body)
		out.Set(prefix+"Timestamp", ts)
		out.Set(prefix+"Signature", "v1,"+base64.StdEncoding.EncodeToString(sig))
		return out, []string{prefix + "Timestamp", prefix + "Signature"}, nil
	}
}
