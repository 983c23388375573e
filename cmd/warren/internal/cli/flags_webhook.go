package cli

import (
	"flag"
	"strings"

	"warren/cmd/warren/internal/command"
	"warren/domain"
	"warren/edge/agent"
	"warren/edge/webhook"
)

// webhookFlags are `warren http`'s webhook verifier flags (issue 17):
// --verify-webhook PROVIDER:SECRET (repeatable) and --verify-webhook-enforce.
// The specs go to the server with the tunnel open, which seals the secrets
// beside its log (never in it); see docs/webhooks.md.
type webhookFlags struct {
	specs   specList
	enforce *bool
}

// specList is a repeatable string flag. String shows no values: they hold
// secrets, and flag prints defaults.
type specList []string

func (l *specList) String() string     { return "" }
func (l *specList) Set(v string) error { *l = append(*l, v); return nil }

func addWebhookFlags(fs *flag.FlagSet) *webhookFlags {
	w := &webhookFlags{}
	fs.Var(&w.specs, "verify-webhook", "verify webhook signatures: stripe:whsec_…, github:SECRET, slack:SECRET, standard:whsec_…, hmac-sha256:HEADER:SECRET (repeatable)")
	w.enforce = fs.Bool("verify-webhook-enforce", false, "answer 401 to a delivery whose signature does not verify (it never reaches your service)")
	return w
}

// apply checks the specs here, so a typo fails before connecting (the
// server checks them again), and puts them on s. Usage errors never quote
// the value: it is most often a secret.
func (w *webhookFlags) apply(s *agent.Spec) error {
	if err := checkWebhookSpecs(w.specs, *w.enforce); err != nil {
		return err
	}
	s.Webhooks, s.WebhookEnforce = []string(w.specs), *w.enforce
	return nil
}

// checkWebhookSpecs validates specs as the server will (flag or tunnels file).
func checkWebhookSpecs(specs []string, enforce bool) error {
	if enforce && len(specs) == 0 {
		return &command.ExitError{Code: 2, Err: usageError("--verify-webhook-enforce needs at least one --verify-webhook")}
	}
	for _, spec := range specs {
		if _, _, err := webhook.ParseSpec(strings.TrimSpace(spec)); err != nil {
			return &command.ExitError{Code: 2, Err: err}
		}
	}
	return nil
}

type usageError string

func (e usageError) Error() string { return string(e) }

// applyResign adds `warren replay --resign` to the overrides: the server
// re-signs (it holds the secret), so not with --to, and not a body edit
// (a signature is only renewed over the body the sender signed).
func applyResign(resign bool, to string, ov *domain.ReplayOverrides, edited *[]string) error {
	if !resign {
		return nil
	}
	if to != "" {
		return &command.ExitError{Code: 2, Err: usageError("--resign re-signs on the server, which holds the secret; it cannot be used with --to")}
	}
	if ov.Body != nil {
		return &command.ExitError{Code: 2, Err: usageError("--resign signs the captured body again; it cannot sign --body-file")}
	}
	ov.Resign = true
	*edited = append(*edited, "re-signed")
	return nil
}
