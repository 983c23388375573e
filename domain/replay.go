package domain

// ReplayOverrides change a replayed request: the body of POST
// /api/v1/me/tunnels/{sub}/requests/{id}/replay. It lives here because the
// API decodes it and the edge applies it, and neither imports the other.
// Nil fields keep the captured value; a header set to "" is removed.
type ReplayOverrides struct {
	Method  *string           `json:"method,omitempty"`
	Path    *string           `json:"path,omitempty"` // with query; must start with /
	Headers map[string]string `json:"headers,omitempty"`
	Body    *string           `json:"body,omitempty"` // required when the captured body was truncated or pruned
}
