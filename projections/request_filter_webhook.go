package projections

// Values of RequestFilter.Webhook (the API's ?webhook=): requests whose
// webhook verifier verified them, did not (any reason, refused or not), or
// either (every request of a verifying tunnel).
const (
	WebhookVerified   = "verified"
	WebhookUnverified = "unverified"
	WebhookAny        = "any"
)

// webhookMark is a summary's verdict as a filter sees it.
type webhookMark uint8

const (
	markNone webhookMark = iota // no verdict: the tunnel verified nothing
	markUnverified
	markVerified
)

// peekWebhook reads a summary's verdict in place: format 3 only, its flags
// byte first in the trailer that ends with the trailer's length.
func peekWebhook(b []byte) webhookMark {
	if len(b) < 2 || b[0] != summaryFormatWebhook {
		return markNone
	}
	i := len(b) - 1 - int(b[len(b)-1])
	if i < 1 {
		return markNone
	}
	if b[i]&whVerified != 0 {
		return markVerified
	}
	return markUnverified
}

func (f *RequestFilter) matchWebhook(m webhookMark) bool {
	switch f.Webhook {
	case WebhookVerified:
		return m == markVerified
	case WebhookUnverified:
		return m == markUnverified
	default: // WebhookAny
		return m != markNone
	}
}
