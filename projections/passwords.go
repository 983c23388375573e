package projections

import (
	"crypto/subtle"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// The accounts' passwords and set-password links. The hash lives apart
// from domain.Account, so no reader of accounts (lists, the API's JSON)
// carries it by accident.

// passwordLink is a set-password link as p_password_links holds it.
type passwordLink struct {
	LinkID    string    `json:"linkId"`
	AccountID string    `json:"accountId"`
	ExpiresAt time.Time `json:"expiresAt"`
	Used      bool      `json:"used"`
}

func applyPasswordSet(tx *bolt.Tx, ev *events.Event, d *events.AccountPasswordSetData) error {
	if err := tx.Bucket(bPasswords).Put([]byte(ev.Account), []byte(d.Hash)); err != nil {
		return err
	}
	if d.LinkID == "" {
		return nil
	}
	b := tx.Bucket(bPasswordLinks)
	hash := b.Get(key([]byte("id"), []byte(d.LinkID)))
	if hash == nil {
		return nil
	}
	var l passwordLink
	if _, err := getJSON(b, hash, &l); err != nil {
		return err
	}
	l.Used = true
	return putJSON(b, hash, l)
}

func applyPasswordLinkCreated(tx *bolt.Tx, ev *events.Event, d *events.AccountPasswordLinkCreatedData) error {
	b := tx.Bucket(bPasswordLinks)
	if err := putJSON(b, []byte(d.TokenHash), passwordLink{LinkID: d.LinkID, AccountID: ev.Account, ExpiresAt: d.ExpiresAt}); err != nil {
		return err
	}
	return b.Put(key([]byte("id"), []byte(d.LinkID)), []byte(d.TokenHash))
}

// AccountPassword returns the PHC string of the account's password
// (CodeNotFound when it has none).
func AccountPassword(tx *bolt.Tx, accountID string) (string, error) {
	v := tx.Bucket(bPasswords).Get([]byte(accountID))
	if v == nil {
		return "", domain.Errorf(domain.CodeNotFound, "account %q has no password", accountID)
	}
	return string(v), nil
}

// SetPassword stores phc (a PHC string, hashed by the caller outside the
// write transaction: argon2id is too slow to run in it) as the account's
// password and signs out all its sessions, since whoever knew the old one
// may hold one. CodeNotFound for no account, CodeInvalid for a phc that
// is not an argon2id hash.
func SetPassword(accountID, phc string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		if _, err := Account(tx.Tx, accountID); err != nil {
			return nil, err
		}
		if _, err := domain.ParsePasswordHash(phc); err != nil {
			return nil, err
		}
		ds := []events.Draft{{Type: events.AccountPasswordSet, Account: accountID,
			Data: events.AccountPasswordSetData{Hash: phc, Via: "admin"}}}
		return append(ds, revokeAllDrafts(tx.Tx, accountID, "password_set", "")...), nil
	}
}

// CreatePasswordLink records a one-time set-password link whose token
// hashes (SHA-256, hex) to tokenHash, valid for ttl from now. It returns
// the link's expiry through the event. CodeNotFound for no account.
func CreatePasswordLink(accountID, tokenHash string, ttl time.Duration) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		if _, err := Account(tx.Tx, accountID); err != nil {
			return nil, err
		}
		if len(tokenHash) != 64 {
			return nil, domain.Errorf(domain.CodeInvalid, "a link's token hash is 64 hex digits")
		}
		return []events.Draft{{Type: events.AccountPasswordLinkCreated, Account: accountID,
			Data: events.AccountPasswordLinkCreatedData{LinkID: "pwl_" + tx.NewID().String(), TokenHash: tokenHash,
				ExpiresAt: tx.Now().Add(ttl).UTC().Truncate(time.Second)}}}, nil
	}
}

// UsePasswordLink sets the password of the account of the link whose token
// hashes to tokenHash, and spends the link. An unknown, used or expired
// link fails with CodeNotFound, one answer for the three; CodeInvalid for
// a phc that is not an argon2id hash.
func UsePasswordLink(tokenHash, phc string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		gone := domain.Errorf(domain.CodeNotFound, "this set-password link is unknown, used or expired")
		var l passwordLink
		ok, err := getJSON(tx.Bucket(bPasswordLinks), []byte(tokenHash), &l)
		switch {
		case err != nil:
			return nil, err
		case !ok || l.Used || !tx.Now().Before(l.ExpiresAt):
			return nil, gone
		}
		if _, err := domain.ParsePasswordHash(phc); err != nil {
			return nil, err
		}
		ds := []events.Draft{{Type: events.AccountPasswordSet, Account: l.AccountID,
			Data: events.AccountPasswordSetData{Hash: phc, Via: "link", LinkID: l.LinkID}}}
		return append(ds, revokeAllDrafts(tx.Tx, l.AccountID, "password_set", "")...), nil
	}
}

// PasswordLinkAccount returns the account a live link's token hash opens
// (CodeNotFound as UsePasswordLink), for checks before the slow hashing.
func PasswordLinkAccount(tx *bolt.Tx, tokenHash string, now time.Time) (string, error) {
	var l passwordLink
	ok, err := getJSON(tx.Bucket(bPasswordLinks), []byte(tokenHash), &l)
	if err != nil {
		return "", err
	}
	if !ok || l.Used || !now.Before(l.ExpiresAt) {
		return "", domain.Errorf(domain.CodeNotFound, "this set-password link is unknown, used or expired")
	}
	return l.AccountID, nil
}

// hashEqual compares two hex hashes in constant time.
func hashEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
