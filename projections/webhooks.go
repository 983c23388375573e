package projections

import (
	"bytes"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// bWebhooks holds the live webhook verifiers (issue 17) by tunnel name:
// sub 0 secretId → Webhook as JSON. The secrets are not here (nor anywhere
// in the log): the sealed store holds them under SecretID.
var bWebhooks = []byte("p_webhooks")

// Webhook is a verifier on a tunnel name, without its secret.
type Webhook struct {
	SecretID    string    `json:"id"`
	Fingerprint string    `json:"fingerprint"`
	AccountID   string    `json:"accountId"`
	Subdomain   string    `json:"subdomain"`
	TunnelID    string    `json:"tunnelId,omitempty"` // "": the reservation's, outliving agents
	Provider    string    `json:"provider"`
	Header      string    `json:"header,omitempty"`
	Enforce     bool      `json:"enforce,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
}

func applyWebhookAdded(tx *bolt.Tx, ev *events.Event, d *events.WebhookVerifierAddedData) error {
	w := Webhook{SecretID: d.SecretID, Fingerprint: d.Fingerprint, AccountID: ev.Account, Subdomain: d.Subdomain,
		TunnelID: d.TunnelID, Provider: d.Provider, Header: d.Header, Enforce: d.Enforce, CreatedAt: ev.At}
	return putJSON(tx.Bucket(bWebhooks), key([]byte(d.Subdomain), []byte(d.SecretID)), w)
}

func applyWebhookRemoved(tx *bolt.Tx, d *events.WebhookVerifierRemovedData) error {
	return tx.Bucket(bWebhooks).Delete(key([]byte(d.Subdomain), []byte(d.SecretID)))
}

// Webhooks lists the verifiers on sub, oldest secret id first (ids are
// random: the order is only stable). Reservation verifiers and those of
// any live tunnel of that name are both listed.
func Webhooks(tx *bolt.Tx, sub string) ([]Webhook, error) {
	prefix := key([]byte(sub), nil)
	var out []Webhook
	c := tx.Bucket(bWebhooks).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var w Webhook
		if err := json.Unmarshal(v, &w); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// AddWebhook records a verifier whose secret the caller already sealed.
// For a reservation verifier (TunnelID ""), the account must hold the
// reservation sub: CodeNotFound otherwise.
func AddWebhook(accountID string, d events.WebhookVerifierAddedData) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		if d.TunnelID == "" {
			r, ok, err := reservation(tx.Tx, d.Subdomain)
			if err != nil {
				return nil, err
			}
			if !ok || r.AccountID != accountID {
				return nil, domain.Errorf(domain.CodeNotFound, "no reservation %q on your account", d.Subdomain)
			}
		}
		return []events.Draft{{Type: events.WebhookVerifierAdded, Account: accountID, Data: d}}, nil
	}
}

// RemoveWebhook records that a verifier ended (its secret is destroyed by
// the caller once this is durable). CodeNotFound when sub has no such
// verifier of the account.
func RemoveWebhook(accountID, sub, secretID, reason string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		var w Webhook
		ok, err := getJSON(tx.Bucket(bWebhooks), key([]byte(sub), []byte(secretID)), &w)
		if err != nil {
			return nil, err
		}
		if !ok || w.AccountID != accountID {
			return nil, domain.Errorf(domain.CodeNotFound, "no webhook verifier %q on %q", secretID, sub)
		}
		return []events.Draft{{Type: events.WebhookVerifierRemoved, Account: accountID,
			Data: events.WebhookVerifierRemovedData{SecretID: secretID, Subdomain: sub, TunnelID: w.TunnelID, Reason: reason}}}, nil
	}
}

// AgentWebhooks lists every agent's verifier (TunnelID set) on any name:
// at start none of their tunnels is live, so these are a crash's leftovers.
func AgentWebhooks(tx *bolt.Tx) ([]Webhook, error) {
	var out []Webhook
	err := tx.Bucket(bWebhooks).ForEach(func(_, v []byte) error {
		var w Webhook
		if err := json.Unmarshal(v, &w); err != nil {
			return err
		}
		if w.TunnelID != "" {
			out = append(out, w)
		}
		return nil
	})
	return out, err
}
