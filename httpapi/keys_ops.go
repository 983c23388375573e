package httpapi

import (
	"context"
	"io"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

// keyJSON is a key as GET /v1/keys shows it: metadata only, never the hash.
type keyJSON struct {
	ID          string     `json:"id"`
	Prefix      string     `json:"prefix"`
	Description string     `json:"description"`
	CreatedAt   time.Time  `json:"createdAt"`
	RevokedAt   *time.Time `json:"revokedAt"`
}

// newKeyJSON is POST /v1/keys' answer: the metadata and, this once, the secret.
type newKeyJSON struct {
	ID          string     `json:"id"`
	Key         string     `json:"key"`
	Prefix      string     `json:"prefix"`
	Description string     `json:"description"`
	CreatedAt   time.Time  `json:"createdAt"`
	RevokedAt   *time.Time `json:"revokedAt"`
}

func toKeyJSON(k domain.APIKey) keyJSON {
	j := keyJSON{ID: k.ID, Prefix: k.Prefix, Description: k.Description, CreatedAt: k.CreatedAt.UTC()}
	if k.RevokedAt != nil {
		at := k.RevokedAt.UTC()
		j.RevokedAt = &at
	}
	return j
}

// listKeys returns a page of the account's keys, newest first (CodeInvalid
// for a before_id that is not one of the account's keys).
func listKeys(db *bolt.DB, accountID, before string, limit int) ([]keyJSON, error) {
	ks, err := projections.View(db, func(tx *bolt.Tx) ([]domain.APIKey, error) {
		return projections.Keys(tx, accountID, before, limit)
	})
	out := make([]keyJSON, 0, len(ks))
	for _, k := range ks {
		out = append(out, toKeyJSON(k))
	}
	return out, err
}

// createKey makes a key from rnd (crypto/rand.Reader), stores only its
// SHA-256, and returns the secret once (CodeInvalid for a bad description).
func createKey(ctx context.Context, l *events.Log, rnd io.Reader, accountID, description string) (newKeyJSON, error) {
	secret, err := domain.NewKeySecret(rnd)
	if err != nil {
		return newKeyJSON{}, err
	}
	evs, err := l.Execute(ctx, projections.CreateKey(accountID, domain.HashKeySecret(secret), domain.KeyShownPrefix(secret), description))
	if err != nil {
		return newKeyJSON{}, err
	}
	k, err := projections.View(l.DB(), func(tx *bolt.Tx) (domain.APIKey, error) {
		return projections.Key(tx, projections.KeyIDFromEvents(evs))
	})
	if err != nil {
		return newKeyJSON{}, err
	}
	j := toKeyJSON(k)
	return newKeyJSON{ID: j.ID, Key: secret, Prefix: j.Prefix, Description: j.Description, CreatedAt: j.CreatedAt}, nil
}

// revokeKey revokes one of the account's keys: CodeNotFound when it is not
// the account's, CodeConflict when it is revoked already or the last active
// one. Authentication reads the projection on every request, so the key
// stops working on the very next one.
func revokeKey(ctx context.Context, l *events.Log, accountID, keyID string) error {
	_, err := l.Execute(ctx, projections.RevokeKey(accountID, keyID))
	return err
}
