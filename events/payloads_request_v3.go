package events

// Names of the fields a replay may override, in the order a
// request.captured v3 lists them (Overrides).
const (
	OverrideMethod  = "method"
	OverridePath    = "path"
	OverrideHeaders = "headers"
	OverrideBody    = "body"
)

// RequestCapturedV3 is RequestCapturedV2 with what a replay changed: a
// replay sent with overrides that changed what was sent (the method, the
// path with its query, a header, the body) has Modified and lists those
// fields in Overrides (OverrideMethod… in that order); a faithful replay,
// and every request that is not a replay, has neither. Without them its
// encoding is byte for byte that of V2.
type RequestCapturedV3 struct {
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
	Modified    bool                `json:"modified,omitempty"`
	Overrides   []string            `json:"overrides,omitempty"`
	Secret      *SecretHeadersV2    `json:"secretHeaders,omitempty"`
	// issue 17: optional, so a capture without it encodes as before.
	Webhook *WebhookV1 `json:"webhook,omitempty"`
	// Denied (access rules): the rule that refused the visitor, "basic_auth",
	// "ip" or "oidc"; optional, so a capture without it encodes as before.
	Denied string `json:"denied,omitempty"`

	// checked: every string is valid UTF-8 (CapturedFromDomain made it so),
	// so decoding the JSON would give this value back and the projections
	// may take it as it is (see DecodePayload).
	checked bool
}

// upgrade reads a v2 payload as v3: nothing was overridden.
func (p *RequestCapturedV2) upgrade() *RequestCapturedV3 {
	return &RequestCapturedV3{TunnelID: p.TunnelID, Tunnel: p.Tunnel, Kind: p.Kind, Method: p.Method, Path: p.Path,
		Status: p.Status, TTFBMs: p.TTFBMs, DurationMs: p.DurationMs, BytesIn: p.BytesIn, BytesOut: p.BytesOut,
		IP: p.IP, UserAgent: p.UserAgent, Proto: p.Proto, Host: p.Host, ReqHeaders: p.ReqHeaders, RespHeaders: p.RespHeaders,
		ReqBody: p.ReqBody, RespBody: p.RespBody, Error: p.Error, ReplayOf: p.ReplayOf, Secret: p.Secret}
}

// mendStrings returns vs mended as mendUTF8 does each (nil when empty, as
// decoding an omitted list gives).
func mendStrings(vs []string) []string {
	if len(vs) == 0 {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = mendUTF8(v)
	}
	return out
}
