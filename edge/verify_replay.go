package edge

import (
	"net/http"

	"warren/domain"
	"warren/edge/webhook"
)

// resignReplay signs a captured delivery afresh at the edge's now with the
// verifier of t whose signature it carries (issue 17), and returns the
// headers to send and the names of those it changed (none for GitHub and
// hmac-sha256, which sign no time). CodeInvalid when t verifies no
// webhooks or the capture carries none of its verifiers' signatures;
// CodeForbidden (from webhook.Resign) when the captured signature is not
// genuine: a forged delivery is never given a real signature.
func (s *Server) resignReplay(t *tunnel, h http.Header, body []byte) (http.Header, []string, error) {
	set := t.hooks.Load()
	if set == nil || len(set.vs) == 0 {
		return nil, nil, domain.Errorf(domain.CodeInvalid,
			"tunnel %q verifies no webhooks, so there is no secret to re-sign with (warren http --verify-webhook, or the reservation's webhooks)", t.name)
	}
	var firstErr error
	for _, v := range set.vs {
		if !signed(v.scheme, h) {
			continue
		}
		out, changed, err := webhook.Resign(v.scheme, v.secret, h, body, s.cfg.Now())
		if err == nil {
			if changed == nil {
				changed = []string{}
			}
			return out, changed, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, nil, firstErr
	}
	return nil, nil, domain.Errorf(domain.CodeInvalid, "the captured request carries no signature of a webhook verifier of %q", t.name)
}

// markResigned records on a replay's capture that it was re-signed and
// which headers that changed.
func (x *exchange) markResigned(changed []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.hook == nil {
		x.hook = &webhookCheck{fixed: &domain.WebhookResult{}}
	}
	x.hook.resigned = changed
}
