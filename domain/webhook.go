package domain

// WebhookResult is what a tunnel's webhook verifier said of one captured
// delivery (issue 17): shown in every view of the capture. Provider is the
// scheme's name (stripe, github, slack, standard, hmac-sha256); Reason is
// one of edge/webhook's stable words when not Verified. Enforced: the
// tunnel refuses deliveries that do not verify, and this one was answered
// 401 by the edge without reaching the agent. On the capture of a replay,
// Resigned says the replay was signed afresh and ChangedHeaders which
// headers that changed.
type WebhookResult struct {
	Provider       string   `json:"provider"`
	Verified       bool     `json:"verified"`
	Reason         string   `json:"reason,omitempty"`
	Enforced       bool     `json:"enforced,omitempty"`
	Resigned       bool     `json:"resigned,omitempty"`
	ChangedHeaders []string `json:"changedHeaders,omitempty"`
}
