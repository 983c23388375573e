package domain

import (
	"strings"
	"time"
)

// Kinds of captured exchange.
const (
	KindHTTP      = "http"
	KindWebSocket = "websocket"
	KindTCP       = "tcp"
)

// RequestIDPrefix prefixes a captured request's ULID in the API.
const RequestIDPrefix = "req_"

// BodyInfo describes one captured body. The stored bytes (at most the plan's
// capture limit) live apart from the event, compressed; the event keeps their
// hash so the audit chain covers them.
type BodyInfo struct {
	Size      int64  `json:"size"`             // bytes that crossed the tunnel
	Stored    int64  `json:"stored"`           // bytes captured (≤ capture limit)
	SHA256    string `json:"sha256,omitempty"` // of the captured bytes
	Truncated bool   `json:"truncated"`
}

// CapturedRequest is what Warren records of one public exchange: an HTTP
// request/response, a WebSocket or a TCP connection. It is never stored as
// it is: events declares the stored payload and maps it to and from this
// (its JSON tags serve the API's exports).
type CapturedRequest struct {
	ID          string              `json:"id,omitempty"` // ULID, without the req_ prefix; the event id
	AccountID   string              `json:"accountId,omitempty"`
	TunnelID    string              `json:"tunnelId"`
	Tunnel      string              `json:"tunnel"` // subdomain, or "tcp-<port>"
	Kind        string              `json:"kind"`
	Method      string              `json:"method,omitempty"`
	Path        string              `json:"path,omitempty"` // with query
	Status      int                 `json:"status"`
	TTFBMs      float64             `json:"ttfbMs"`
	DurationMs  float64             `json:"durationMs"`
	BytesIn     int64               `json:"bytesIn"`
	BytesOut    int64               `json:"bytesOut"`
	IP          string              `json:"ip"`
	UserAgent   string              `json:"userAgent,omitempty"`
	Proto       string              `json:"proto"`
	Host        string              `json:"host"`
	ReqHeaders  map[string][]string `json:"requestHeaders,omitempty"`
	RespHeaders map[string][]string `json:"responseHeaders,omitempty"`
	ReqBody     BodyInfo            `json:"requestBody"`
	RespBody    BodyInfo            `json:"responseBody"`
	Error       string              `json:"error,omitempty"` // agent_gone, local_refused, client_abort, quota, timeout…
	ReplayOf    string              `json:"replayOf,omitempty"`
	// Overrides names what a replay changed from the capture it replays
	// ("method", "path", "headers", "body"); empty for a faithful replay.
	Overrides []string       `json:"overrides,omitempty"`
	CreatedAt time.Time      `json:"createdAt,omitzero"`
	Secrets   *SecretHeaders `json:"secretHeaders,omitempty"` // nil: no header was sealed
	// issue 17: webhook verification (nil: the tunnel verifies none).
	Webhook *WebhookResult `json:"webhook,omitempty"`

	// Denied names the access rule that refused the visitor (edge/access:
	// "basic_auth", "ip", "oidc"); such a request never reached the agent.
	Denied string `json:"denied,omitempty"`
}

// SecretHeaders names the headers of a capture whose values (credentials,
// cookies) are kept out of the immutable log, beside the bodies, where
// retention prunes them. While they are retained, Available is true and the
// header maps carry the values; once pruned, the names stay listed here and
// the headers are gone from the maps (the log keeps only a keyed hash).
type SecretHeaders struct {
	Request   []string `json:"request,omitempty"`
	Response  []string `json:"response,omitempty"`
	Available bool     `json:"available"`
}

// IsSensitiveHeader tells whether a header's values are sealed out of the
// log: Authorization, Proxy-Authorization, Cookie and Set-Cookie always, and
// any of the operator's extra names (header names match in any case).
func IsSensitiveHeader(name string, extra []string) bool {
	switch len(name) { // most names are none of these: one length check
	case len("Authorization"), len("Proxy-Authorization"), len("Cookie"), len("Set-Cookie"):
		for _, s := range [...]string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"} {
			if strings.EqualFold(name, s) {
				return true
			}
		}
	}
	for _, s := range extra {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}
