package httpapi

import (
	"net/url"

	"warren/domain"
	"warren/projections"
)

// parseWebhookFilter reads ?webhook=verified|unverified|any (issue 17):
// requests whose tunnel's webhook verifier verified them, did not, or
// either. Absent or empty: no filter. Anything else is CodeInvalid.
func parseWebhookFilter(q url.Values) (string, error) {
	switch v := q.Get("webhook"); v {
	case "", projections.WebhookVerified, projections.WebhookUnverified, projections.WebhookAny:
		return v, nil
	default:
		return "", domain.Errorf(domain.CodeInvalid, "webhook %q: want verified, unverified or any", v)
	}
}
