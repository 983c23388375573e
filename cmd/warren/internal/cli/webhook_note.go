package cli

import (
	"strings"

	"warren/edge/wire"
	"warren/httpapi/client"
)

// webhookNote marks a captured delivery's webhook verdict for people
// (issue 17): "✓ stripe", "✗ stripe signature_mismatch", "✗ github
// missing_signature, refused" (enforced: answered 401 by the server),
// and ", re-signed" on a re-signed replay. "" when the tunnel verifies
// nothing.
func webhookNote(provider string, verified bool, reason string, enforced, resigned bool) string {
	if provider == "" && !resigned {
		return ""
	}
	s := "✓ " + provider
	if !verified {
		s = "✗ " + provider
		if reason != "" {
			s += " " + reason
		}
	}
	if enforced {
		s += ", refused"
	}
	if resigned {
		s += ", re-signed"
	}
	return s
}

func lineWebhookNote(w *wire.WebhookLine) string {
	if w == nil {
		return ""
	}
	return webhookNote(w.Provider, w.Verified, w.Reason, w.Enforced, w.Resigned)
}

func requestWebhookNote(w *client.WebhookResult) string {
	if w == nil {
		return ""
	}
	return webhookNote(w.Provider, w.Verified, w.Reason, w.Enforced, w.Resigned)
}

// joinNotes joins the non-empty notes of a request with two spaces.
func joinNotes(notes ...string) string {
	out := ""
	for _, n := range notes {
		if n == "" {
			continue
		}
		if out != "" {
			out += "  "
		}
		out += n
	}
	return out
}

// detailWebhookNote is requestWebhookNote with, on a re-signed replay, the
// headers re-signing changed.
func detailWebhookNote(w *client.WebhookResult) string {
	n := requestWebhookNote(w)
	if n != "" && w.Resigned && len(w.ChangedHeaders) > 0 {
		n += " (" + strings.Join(w.ChangedHeaders, ", ") + ")"
	}
	return n
}
