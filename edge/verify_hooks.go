package edge

import (
	"context"
	"net/http"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge/webhook"
	"warren/events"
	"warren/projections"
)

// Webhook verifiers on tunnels (issue 17). A tunnel's verifiers come from
// its agent (--verify-webhook, for the life of the tunnel) and from the
// reservation of its name (the API, until removed). Their secrets live in
// the sealed store (Config.Secrets); the log and the projections hold only
// the store's id and fingerprint. The edge keeps each live tunnel's
// verifiers, secrets included, in memory (tunnel.hooks), so capture reads
// neither bbolt nor the store.

// verifier is one verifier with its secret.
type verifier struct {
	id      string // the sealed store's id (sec_...)
	scheme  webhook.Scheme
	secret  string
	enforce bool
}

// hookSet is a tunnel's verifiers; nil or empty: it verifies nothing.
type hookSet struct{ vs []verifier }

// agentSpec is a parsed --verify-webhook value.
type agentSpec struct {
	scheme webhook.Scheme
	secret string
}

// parseAgentWebhooks checks an open's specs before anything is recorded.
// CodeInvalid for a bad spec (the message never quotes it), CodeUnavailable
// when the server runs without a sealed store.
func (s *Server) parseAgentWebhooks(m wireOpen) ([]agentSpec, error) {
	if len(m.specs) == 0 {
		if m.enforce {
			return nil, domain.Errorf(domain.CodeInvalid, "--verify-webhook-enforce needs at least one --verify-webhook")
		}
		return nil, nil
	}
	if s.cfg.Secrets == nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "this server keeps no webhook secrets (no sealed store)")
	}
	if len(m.specs) > maxWebhooksPerTunnel {
		return nil, domain.Errorf(domain.CodeInvalid, "at most %d --verify-webhook per tunnel", maxWebhooksPerTunnel)
	}
	out := make([]agentSpec, 0, len(m.specs))
	for _, spec := range m.specs {
		sc, secret, err := webhook.ParseSpec(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, agentSpec{sc, secret})
	}
	return out, nil
}

// maxWebhooksPerTunnel bounds the verifiers of one tunnel name, agent's and
// reservation's each: a delivery is checked against every one that matches.
const maxWebhooksPerTunnel = 16

// wireOpen is the webhook half of an open message.
type wireOpen struct {
	specs   []string
	enforce bool
}

// addAgentWebhooks seals an agent's secrets, records a verifier per spec
// and loads t's verifiers. A failure leaves nothing sealed of this open.
func (s *Server) addAgentWebhooks(t *tunnel, specs []agentSpec, enforce bool) error {
	for _, sp := range specs {
		id, fp, err := s.cfg.Secrets.Put(sp.secret)
		if err != nil {
			s.dropAgentWebhooks(t)
			return err
		}
		d := events.WebhookVerifierAddedData{SecretID: id, Fingerprint: fp, Subdomain: t.name, TunnelID: t.info.ID,
			Provider: string(sp.scheme.Provider), Header: sp.scheme.Header, Enforce: enforce}
		if _, err := s.cfg.Log.Execute(bg(), projections.AddWebhook(t.info.AccountID, d)); err != nil {
			_ = s.cfg.Secrets.Delete(id)
			s.dropAgentWebhooks(t)
			return err
		}
	}
	return s.loadHooks(t)
}

// dropAgentWebhooks ends the verifiers t's agent gave: each is recorded
// removed, then its secret destroyed. Errors are logged: the tunnel is
// going either way.
func (s *Server) dropAgentWebhooks(t *tunnel) {
	if s.cfg.Secrets == nil || t.info.Proto != domain.ProtoHTTP {
		return
	}
	ws, err := projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) ([]projections.Webhook, error) {
		return projections.Webhooks(tx, t.name)
	})
	if err != nil {
		s.cfg.Logger.Error("listing a closed tunnel's webhook verifiers", "tunnel", t.info.ID, "err", err)
		return
	}
	for _, w := range ws {
		if w.TunnelID != t.info.ID {
			continue
		}
		if _, err := s.cfg.Log.Execute(bg(), projections.RemoveWebhook(t.info.AccountID, t.name, w.SecretID, "tunnel_closed")); err != nil {
			s.cfg.Logger.Error("recording a webhook verifier's end", "tunnel", t.info.ID, "secret_id", w.SecretID, "err", err)
			continue
		}
		if err := s.cfg.Secrets.Delete(w.SecretID); err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
			s.cfg.Logger.Error("destroying a webhook secret", "secret_id", w.SecretID, "err", err)
		}
	}
}

// loadHooks reads t's verifiers (its agent's and its reservation's) with
// their secrets into t.hooks.
func (s *Server) loadHooks(t *tunnel) error {
	if s.cfg.Secrets == nil || t.info.Proto != domain.ProtoHTTP {
		return nil
	}
	ws, err := projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) ([]projections.Webhook, error) {
		return projections.Webhooks(tx, t.name)
	})
	if err != nil {
		return err
	}
	set := &hookSet{}
	for _, w := range ws {
		if w.TunnelID != "" && w.TunnelID != t.info.ID {
			continue // another (older) tunnel's of the same name
		}
		secret, err := s.cfg.Secrets.Get(w.SecretID)
		if err != nil {
			s.cfg.Logger.Warn("a webhook verifier's secret is not in the sealed store; it is skipped",
				"tunnel", t.info.ID, "secret_id", w.SecretID, "err", err)
			continue
		}
		set.vs = append(set.vs, verifier{id: w.SecretID, scheme: webhook.Scheme{Provider: webhook.Provider(w.Provider), Header: w.Header},
			secret: secret, enforce: w.Enforce})
	}
	t.hooks.Store(set)
	return nil
}

// ReloadWebhooks reloads the verifiers of the live tunnel named sub, if
// any, after the API changed its reservation's.
func (s *Server) ReloadWebhooks(sub string) error {
	s.mu.RLock()
	t := s.byHost[sub]
	s.mu.RUnlock()
	if t == nil || t.gone() {
		return nil
	}
	return s.loadHooks(t)
}

// AddReservationWebhook seals secret and records a verifier on the
// account's reservation sub (CodeNotFound without one), then reloads a live
// tunnel of that name. The secret never leaves the store again.
func (s *Server) AddReservationWebhook(ctx context.Context, accountID, sub, spec string, enforce bool) (projections.Webhook, error) {
	if s.cfg.Secrets == nil {
		return projections.Webhook{}, domain.Errorf(domain.CodeUnavailable, "this server keeps no webhook secrets (no sealed store)")
	}
	sc, secret, err := webhook.ParseSpec(spec)
	if err != nil {
		return projections.Webhook{}, err
	}
	n, err := projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) (int, error) {
		ws, err := projections.Webhooks(tx, sub)
		return len(ws), err
	})
	if err != nil {
		return projections.Webhook{}, err
	}
	if n >= maxWebhooksPerTunnel {
		return projections.Webhook{}, domain.Errorf(domain.CodeConflict, "%q has %d webhook verifiers already", sub, n)
	}
	id, fp, err := s.cfg.Secrets.Put(secret)
	if err != nil {
		return projections.Webhook{}, err
	}
	d := events.WebhookVerifierAddedData{SecretID: id, Fingerprint: fp, Subdomain: sub,
		Provider: string(sc.Provider), Header: sc.Header, Enforce: enforce}
	evs, err := s.cfg.Log.Execute(ctx, projections.AddWebhook(accountID, d))
	if err != nil {
		_ = s.cfg.Secrets.Delete(id)
		return projections.Webhook{}, err
	}
	if err := s.ReloadWebhooks(sub); err != nil {
		s.cfg.Logger.Error("reloading a tunnel's webhook verifiers", "subdomain", sub, "err", err)
	}
	return projections.Webhook{SecretID: id, Fingerprint: fp, AccountID: accountID, Subdomain: sub,
		Provider: d.Provider, Header: d.Header, Enforce: enforce, CreatedAt: evs[0].At}, nil
}

// RemoveReservationWebhook records the end of a verifier of the account's
// on sub and destroys its secret. CodeNotFound when there is none.
func (s *Server) RemoveReservationWebhook(ctx context.Context, accountID, sub, id string) error {
	if _, err := s.cfg.Log.Execute(ctx, projections.RemoveWebhook(accountID, sub, id, "removed")); err != nil {
		return err
	}
	if s.cfg.Secrets != nil {
		if err := s.cfg.Secrets.Delete(id); err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
			return err
		}
	}
	if err := s.ReloadWebhooks(sub); err != nil {
		s.cfg.Logger.Error("reloading a tunnel's webhook verifiers", "subdomain", sub, "err", err)
	}
	return nil
}

// signed reports whether h carries the signature header of scheme sc: a
// delivery is checked against the verifiers whose header it carries.
func signed(sc webhook.Scheme, h http.Header) bool {
	switch sc.Provider {
	case webhook.Stripe:
		return h.Get("Stripe-Signature") != ""
	case webhook.GitHub:
		return h.Get("X-Hub-Signature-256") != ""
	case webhook.Slack:
		return h.Get("X-Slack-Signature") != ""
	case webhook.Standard:
		return h.Get("Webhook-Signature") != "" || h.Get("Svix-Signature") != ""
	default:
		return sc.Header != "" && h.Get(sc.Header) != ""
	}
}

// dropStaleWebhooks ends, at start, the agents' verifiers a crash left
// (their tunnels are all gone): each is recorded removed and its secret
// destroyed, as a clean close would have done.
func (s *Server) dropStaleWebhooks() error {
	ws, err := projections.View(s.cfg.Log.DB(), projections.AgentWebhooks)
	if err != nil || len(ws) == 0 {
		return err
	}
	for _, w := range ws {
		if _, err := s.cfg.Log.Execute(bg(), projections.RemoveWebhook(w.AccountID, w.Subdomain, w.SecretID, "tunnel_closed")); err != nil {
			return err
		}
		if s.cfg.Secrets != nil {
			if err := s.cfg.Secrets.Delete(w.SecretID); err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
				return err
			}
		}
	}
	return nil
}
