package server

import (
	"context"
	"path/filepath"

	"warren/edge/sealed"
	"warren/projections"
)

// Webhook signing secrets (issue 17) live in a sealed store beside the log,
// never in it: <data>/secrets.sealed, under the key <data>/secrets.key
// (32 random bytes, made 0600 on first use; a store whose key is missing,
// or a key others may read, stops the start). The edge seals agents' and
// reservations' secrets there and destroys them when a verifier ends.

// Sealed store file names in the data directory.
const (
	SecretsFile    = "secrets.sealed"
	SecretsKeyFile = "secrets.key"
)

// openSecrets opens the data directory's sealed store into m.secrets.
func (m *Main) openSecrets() error {
	st, err := sealed.Open(sealed.Options{
		Path:    filepath.Join(m.cfg.DataDir, SecretsFile),
		KeyPath: filepath.Join(m.cfg.DataDir, SecretsKeyFile),
		Now:     m.cfg.Now,
	})
	if err != nil {
		return err
	}
	m.secrets = st
	return nil
}

// closeSecrets releases the store's lock, after the edge (which destroys
// its agents' secrets as their tunnels close) has shut down.
func (m *Main) closeSecrets() error {
	if m.secrets == nil {
		return nil
	}
	err := m.secrets.Close()
	m.secrets = nil
	return err
}

// edgeWebhooks is the API's httpapi.Webhooks: it forwards to the edge,
// set once in handlers before anything is served (as edgeReplayer).
type edgeWebhooks struct{ r *edgeReplayer }

func (w edgeWebhooks) AddReservationWebhook(ctx context.Context, accountID, sub, spec string, enforce bool) (projections.Webhook, error) {
	return w.r.edge.AddReservationWebhook(ctx, accountID, sub, spec, enforce)
}

func (w edgeWebhooks) RemoveReservationWebhook(ctx context.Context, accountID, sub, id string) error {
	return w.r.edge.RemoveReservationWebhook(ctx, accountID, sub, id)
}
