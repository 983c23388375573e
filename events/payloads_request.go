package events

import (
	"unicode/utf8"

	"warren/domain"
)

// BodyV1 describes one captured body in a request.captured payload (both
// versions): the bytes themselves live in the bodies bucket.
type BodyV1 struct {
	Size      int64  `json:"size"`             // bytes that crossed the tunnel
	Stored    int64  `json:"stored"`           // bytes captured (≤ capture limit)
	SHA256    string `json:"sha256,omitempty"` // of the captured bytes
	Truncated bool   `json:"truncated"`
}

// RequestCapturedV1 is request.captured as written until sensitive headers
// were sealed: every header value in the clear. The event's id, account and
// time are the envelope's. (Payloads appended with an id, accountId or
// createdAt member decode: unknown members are ignored.)
type RequestCapturedV1 struct {
	TunnelID    string              `json:"tunnelId"`
	Tunnel      string              `json:"tunnel"`
	Kind        string              `json:"kind"`
	Method      string              `json:"method,omitempty"`
	Path        string              `json:"path,omitempty"`
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
	ReqBody     BodyV1              `json:"requestBody"`
	RespBody    BodyV1              `json:"responseBody"`
	Error       string              `json:"error,omitempty"`
	ReplayOf    string              `json:"replayOf,omitempty"`
}

// RequestCapturedV2 is RequestCapturedV1 with sensitive headers sealed: the
// value of each header Secret names is, in the header maps, its keyed hash
// ("hmac-sha256:<hex>", see secrets.go), and the value itself is stored
// beside the bodies, where retention prunes it. Without secrets its encoding
// is byte for byte that of V1.
type RequestCapturedV2 struct {
	TunnelID    string              `json:"tunnelId"`
	Tunnel      string              `json:"tunnel"`
	Kind        string              `json:"kind"`
	Method      string              `json:"method,omitempty"`
	Path        string              `json:"path,omitempty"`
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
	ReqBody     BodyV1              `json:"requestBody"`
	RespBody    BodyV1              `json:"responseBody"`
	Error       string              `json:"error,omitempty"`
	ReplayOf    string              `json:"replayOf,omitempty"`
	Secret      *SecretHeadersV2    `json:"secretHeaders,omitempty"`
}

// SecretHeadersV2 names the sealed headers of a request.captured v2.
type SecretHeadersV2 struct {
	Request  []string `json:"request,omitempty"`
	Response []string `json:"response,omitempty"`
}

// upgrade reads a v1 payload as the current version: nothing was sealed
// or overridden.
func (p *RequestCapturedV1) upgrade() *RequestCapturedV3 {
	v2 := RequestCapturedV2{TunnelID: p.TunnelID, Tunnel: p.Tunnel, Kind: p.Kind, Method: p.Method, Path: p.Path,
		Status: p.Status, TTFBMs: p.TTFBMs, DurationMs: p.DurationMs, BytesIn: p.BytesIn, BytesOut: p.BytesOut,
		IP: p.IP, UserAgent: p.UserAgent, Proto: p.Proto, Host: p.Host, ReqHeaders: p.ReqHeaders, RespHeaders: p.RespHeaders,
		ReqBody: p.ReqBody, RespBody: p.RespBody, Error: p.Error, ReplayOf: p.ReplayOf}
	return v2.upgrade()
}

// CapturedFromDomain maps a captured exchange to the payload, as is (no
// header is sealed: CapturedDraft does that). Its id, account and time go in
// the envelope. Strings that are not valid UTF-8 are mended the way the JSON
// encoding would mend them (each bad byte a U+FFFD), so the payload is what
// decoding its encoding gives back. The header maps are shared, not copied,
// unless one needs mending.
func CapturedFromDomain(r domain.CapturedRequest) RequestCapturedV3 {
	p := RequestCapturedV3{TunnelID: r.TunnelID, Tunnel: r.Tunnel, Kind: r.Kind, Method: r.Method, Path: r.Path,
		Status: r.Status, TTFBMs: r.TTFBMs, DurationMs: r.DurationMs, BytesIn: r.BytesIn, BytesOut: r.BytesOut,
		IP: r.IP, UserAgent: r.UserAgent, Proto: r.Proto, Host: r.Host, ReqHeaders: r.ReqHeaders, RespHeaders: r.RespHeaders,
		ReqBody: bodyFromDomain(r.ReqBody), RespBody: bodyFromDomain(r.RespBody), Error: r.Error, ReplayOf: r.ReplayOf,
		Modified: len(r.Overrides) > 0, Overrides: mendStrings(r.Overrides)}
	p.Webhook = webhookFromDomain(r.Webhook) // payloads_webhook.go
	for _, s := range [...]*string{&p.TunnelID, &p.Tunnel, &p.Kind, &p.Method, &p.Path, &p.IP, &p.UserAgent,
		&p.Proto, &p.Host, &p.ReqBody.SHA256, &p.RespBody.SHA256, &p.Error, &p.ReplayOf} {
		*s = mendUTF8(*s)
	}
	if len(p.ReqHeaders) == 0 {
		p.ReqHeaders = nil // omitted when empty, so decoded as nil
	}
	if len(p.RespHeaders) == 0 {
		p.RespHeaders = nil
	}
	p.ReqHeaders, p.RespHeaders = mendHeaders(p.ReqHeaders), mendHeaders(p.RespHeaders)
	p.Denied = mendUTF8(r.Denied) // access rules
	p.checked = true
	return p
}

func bodyFromDomain(b domain.BodyInfo) BodyV1 {
	return BodyV1{Size: b.Size, Stored: b.Stored, SHA256: b.SHA256, Truncated: b.Truncated}
}

func (b BodyV1) domain() domain.BodyInfo {
	return domain.BodyInfo{Size: b.Size, Stored: b.Stored, SHA256: b.SHA256, Truncated: b.Truncated}
}

// Domain maps the payload back to a captured exchange, without the
// envelope's id, account and time. Sealed headers keep their hashes and
// Secrets lists them as not available: CapturedRequestTx reveals them.
func (p *RequestCapturedV3) Domain() domain.CapturedRequest {
	r := domain.CapturedRequest{TunnelID: p.TunnelID, Tunnel: p.Tunnel, Kind: p.Kind, Method: p.Method, Path: p.Path,
		Status: p.Status, TTFBMs: p.TTFBMs, DurationMs: p.DurationMs, BytesIn: p.BytesIn, BytesOut: p.BytesOut,
		IP: p.IP, UserAgent: p.UserAgent, Proto: p.Proto, Host: p.Host, ReqHeaders: p.ReqHeaders, RespHeaders: p.RespHeaders,
		ReqBody: p.ReqBody.domain(), RespBody: p.RespBody.domain(), Error: p.Error, ReplayOf: p.ReplayOf,
		Overrides: p.Overrides}
	if p.Secret != nil {
		r.Secrets = &domain.SecretHeaders{Request: p.Secret.Request, Response: p.Secret.Response}
	}
	r.Webhook = p.Webhook.domain()
	r.Denied = p.Denied // access rules
	return r
}

// mendUTF8 replaces each byte of s that is not part of valid UTF-8 with
// U+FFFD, as encoding/json does when it encodes s.
func mendUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// mendHeaders returns h, or a mended copy when a name or value is not valid
// UTF-8 (two names that mend alike merge: JSON would keep the last, so the
// copy keeps the one that sorts last).
func mendHeaders(h map[string][]string) map[string][]string {
	bad := false
	for k, vs := range h {
		if !utf8.ValidString(k) {
			bad = true
			break
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				bad = true
				break
			}
		}
	}
	if !bad {
		return h
	}
	out := make(map[string][]string, len(h))
	for _, k := range sortedKeys(h) {
		vs := h[k]
		if vs != nil {
			mended := make([]string, len(vs))
			for i, v := range vs {
				mended[i] = mendUTF8(v)
			}
			vs = mended
		}
		out[mendUTF8(k)] = vs
	}
	return out
}
