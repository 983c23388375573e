package events

import (
	"strconv"

	"warren/domain"
)

// Webhook verifier payloads (issue 17). A verifier's signing secret never
// enters the log: it lives in the sealed store (edge/sealed), and these
// events name it by the store's id (sec_...) and fingerprint (fp_..., an
// HMAC under the store's key, so the log gives nobody a hash to test
// guesses against). Provider and Header are the non-secret half of the
// --verify-webhook spec.

// The webhook verifier types.
const (
	WebhookVerifierAdded   Type = "webhook.verifier_added"
	WebhookVerifierRemoved Type = "webhook.verifier_removed"
)

// WebhookVerifierAddedV1 records a verifier on a tunnel name. TunnelID is
// set when an agent gave it (--verify-webhook): it lasts as long as that
// tunnel. Without TunnelID it belongs to the reservation Subdomain (the
// API) and outlives agents until removed.
type WebhookVerifierAddedV1 struct {
	SecretID    string `json:"secretId"`
	Fingerprint string `json:"fingerprint"`
	Subdomain   string `json:"subdomain"`
	TunnelID    string `json:"tunnelId,omitempty"`
	Provider    string `json:"provider"`
	Header      string `json:"header,omitempty"` // hmac-sha256 only
	Enforce     bool   `json:"enforce,omitempty"`
}

// WebhookVerifierRemovedV1 records that a verifier ended and its secret was
// destroyed in the sealed store. Reason: "removed" (the API), "tunnel_closed"
// (an agent's verifier, with its tunnel).
type WebhookVerifierRemovedV1 struct {
	SecretID  string `json:"secretId"`
	Subdomain string `json:"subdomain"`
	TunnelID  string `json:"tunnelId,omitempty"`
	Reason    string `json:"reason"`
}

// WebhookV1 is what verification said of one captured delivery: the
// optional webhook member of request.captured. Resigned and Changed are set
// on the capture of a replay that was re-signed (the headers it changed).
type WebhookV1 struct {
	Provider string   `json:"provider"`
	Verified bool     `json:"verified"`
	Reason   string   `json:"reason,omitempty"`
	Enforced bool     `json:"enforced,omitempty"` // refused with 401: it never reached the agent
	Resigned bool     `json:"resigned,omitempty"`
	Changed  []string `json:"changedHeaders,omitempty"`
}

// Current versions.
type (
	WebhookVerifierAddedData   = WebhookVerifierAddedV1
	WebhookVerifierRemovedData = WebhookVerifierRemovedV1
)

func (WebhookVerifierAddedV1) payloadVersion() int   { return 1 }
func (WebhookVerifierRemovedV1) payloadVersion() int { return 1 }

// webhookFromDomain maps a verdict to its payload; the words are edge/webhook's
// (ASCII), the header names are canonical header keys, so nothing needs
// mending.
func webhookFromDomain(w *domain.WebhookResult) *WebhookV1 {
	if w == nil {
		return nil
	}
	return &WebhookV1{Provider: mendUTF8(w.Provider), Verified: w.Verified, Reason: mendUTF8(w.Reason),
		Enforced: w.Enforced, Resigned: w.Resigned, Changed: mendWebhookStrings(w.ChangedHeaders)}
}

func (w *WebhookV1) domain() *domain.WebhookResult {
	if w == nil {
		return nil
	}
	return &domain.WebhookResult{Provider: w.Provider, Verified: w.Verified, Reason: w.Reason,
		Enforced: w.Enforced, Resigned: w.Resigned, ChangedHeaders: w.Changed}
}

// mendWebhookStrings mends each string (nil stays nil, so it is omitted alike).
func mendWebhookStrings(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = mendUTF8(s)
	}
	return out
}

// appendJSON encodes w as encoding/json does.
func (w *WebhookV1) appendJSON(b []byte) []byte {
	b = appendJSONString(append(b, `{"provider":`...), w.Provider)
	b = strconv.AppendBool(append(b, `,"verified":`...), w.Verified)
	if w.Reason != "" {
		b = appendJSONString(append(b, `,"reason":`...), w.Reason)
	}
	if w.Enforced {
		b = append(b, `,"enforced":true`...)
	}
	if w.Resigned {
		b = append(b, `,"resigned":true`...)
	}
	if len(w.Changed) > 0 {
		b = appendJSONStrings(append(b, `,"changedHeaders":`...), w.Changed)
	}
	return append(b, '}')
}
