package httpapi

import (
	"context"
	"net/http"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// Webhooks keeps webhook verifiers on reservations (issue 17): the edge,
// which owns the sealed store their secrets live in and reloads a live
// tunnel's verifiers. Like Replayer, cmd/warren passes a forwarder it
// points at the edge before serving.
type Webhooks interface {
	// AddReservationWebhook seals the spec's secret and records a verifier
	// on the account's reservation sub. CodeInvalid for a bad spec (the
	// message never quotes it), CodeNotFound without the reservation,
	// CodeConflict past the cap, CodeUnavailable without a sealed store.
	AddReservationWebhook(ctx context.Context, accountID, sub, spec string, enforce bool) (projections.Webhook, error)
	// RemoveReservationWebhook records the verifier's end and destroys its
	// secret. CodeNotFound when the account has no such verifier on sub.
	RemoveReservationWebhook(ctx context.Context, accountID, sub, id string) error
}

// webhookJSON is a verifier as the API shows it: never its secret.
type webhookJSON struct {
	ID          string    `json:"id"`
	Provider    string    `json:"provider"`
	Header      string    `json:"header,omitempty"`
	Fingerprint string    `json:"fingerprint"`
	Enforce     bool      `json:"enforce"`
	TunnelID    *string   `json:"tunnelId"` // set: an agent's (--verify-webhook), ending with that tunnel
	CreatedAt   time.Time `json:"createdAt"`
}

func toWebhookJSON(w projections.Webhook) webhookJSON {
	out := webhookJSON{ID: w.SecretID, Provider: w.Provider, Header: w.Header, Fingerprint: w.Fingerprint,
		Enforce: w.Enforce, CreatedAt: w.CreatedAt.UTC()}
	if w.TunnelID != "" {
		id := w.TunnelID
		out.TunnelID = &id
	}
	return out
}

func (s *Server) routesWebhooks() []route {
	return []route{
		{Method: http.MethodGet, Path: "/api/v1/me/reservations/:sub/webhooks", Handle: s.listWebhooks},
		{Method: http.MethodPost, Path: "/api/v1/me/reservations/:sub/webhooks", Handle: s.addWebhook},
		{Method: http.MethodDelete, Path: "/api/v1/me/reservations/:sub/webhooks/:id", Handle: s.removeWebhook},
		{Method: http.MethodGet, Path: "/api/v1/admin/backup/secrets", Access: accessOperator, Handle: s.backupSecretsHandler}, // backup_secrets.go
	}
}

// listWebhooks is GET /api/v1/me/reservations/{sub}/webhooks: the
// reservation's verifiers and those of the account's live tunnel of that
// name (tunnelId set). 404 when the caller holds no such reservation.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, c *call) error {
	sub := c.Params.ByName("sub")
	var ws []projections.Webhook
	if err := s.view(func(tx *bolt.Tx) error {
		res, ok, err := projections.Reservation(tx, sub)
		if err != nil {
			return err
		}
		if !ok || res.AccountID != c.Account.ID {
			return domain.Errorf(domain.CodeNotFound, "no reservation %q on your account", sub)
		}
		ws, err = projections.Webhooks(tx, sub)
		return err
	}); err != nil {
		return err
	}
	out := make([]webhookJSON, 0, len(ws))
	for _, wh := range ws {
		if wh.AccountID == c.Account.ID {
			out = append(out, toWebhookJSON(wh))
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

// addWebhook is POST /api/v1/me/reservations/{sub}/webhooks
// {"spec":"stripe:whsec_…","enforce":false}: 201 with the verifier (no
// secret). The spec is --verify-webhook's.
func (s *Server) addWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.cfg.Webhooks == nil {
		return domain.Errorf(domain.CodeUnavailable, "this server keeps no webhook verifiers")
	}
	var in struct {
		Spec    *string `json:"spec"`
		Enforce bool    `json:"enforce"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	if in.Spec == nil {
		return domain.Errorf(domain.CodeInvalid, "field \"spec\" is required (PROVIDER:SECRET, as --verify-webhook)")
	}
	wh, err := s.cfg.Webhooks.AddReservationWebhook(r.Context(), c.Account.ID, c.Params.ByName("sub"), *in.Spec, in.Enforce)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toWebhookJSON(wh))
}

// removeWebhook is DELETE /api/v1/me/reservations/{sub}/webhooks/{id}: 204
// once the verifier's secret is destroyed, 404 when there is no such one.
func (s *Server) removeWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.cfg.Webhooks == nil {
		return domain.Errorf(domain.CodeUnavailable, "this server keeps no webhook verifiers")
	}
	if err := s.cfg.Webhooks.RemoveReservationWebhook(r.Context(), c.Account.ID, c.Params.ByName("sub"), c.Params.ByName("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// reservationWebhookIDs lists the secret ids of the account's verifiers on
// its reservation sub (not its live tunnel's own): what a release removes.
// None when the server keeps no verifiers.
func (s *Server) reservationWebhookIDs(accountID, sub string) []string {
	if s.cfg.Webhooks == nil {
		return nil
	}
	ws, err := projections.View(s.db, func(tx *bolt.Tx) ([]projections.Webhook, error) { return projections.Webhooks(tx, sub) })
	if err != nil {
		s.logger.Error("listing a reservation's webhook verifiers", "subdomain", sub, "err", err)
		return nil
	}
	var ids []string
	for _, w := range ws {
		if w.AccountID == accountID && w.TunnelID == "" {
			ids = append(ids, w.SecretID)
		}
	}
	return ids
}
