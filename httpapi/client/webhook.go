package client

// WebhookResult is what a tunnel's webhook verifier said of a captured
// delivery (issue 17; docs/webhooks.md): absent when the tunnel has none.
type WebhookResult struct {
	Provider       string   `json:"provider"`
	Verified       bool     `json:"verified"`
	Reason         string   `json:"reason,omitempty"`
	Enforced       bool     `json:"enforced,omitempty"`
	Resigned       bool     `json:"resigned,omitempty"`
	ChangedHeaders []string `json:"changedHeaders,omitempty"`
}
