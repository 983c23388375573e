package projections

import (
	"encoding/json"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func applyKeyCreated(tx *bolt.Tx, ev *events.Event, d *events.KeyCreatedData) error {
	k := domain.APIKey{ID: d.KeyID, AccountID: ev.Account, Prefix: d.Prefix, Hash: d.Hash, Description: d.Description, CreatedAt: ev.At}
	if err := putJSON(tx.Bucket(bKeys), []byte(k.ID), k); err != nil {
		return err
	}
	if err := tx.Bucket(bKeysByHash).Put([]byte(k.Hash), []byte(k.ID)); err != nil {
		return err
	}
	u, _ := idULID(k.ID)
	return tx.Bucket(bKeysByAccount).Put(key([]byte(ev.Account), u[:]), []byte(k.ID))
}

func applyKeyRevoked(tx *bolt.Tx, ev *events.Event, d *events.KeyRevokedData) error {
	k, err := Key(tx, d.KeyID)
	if err != nil {
		return err
	}
	at := ev.At
	k.RevokedAt = &at
	return putJSON(tx.Bucket(bKeys), []byte(k.ID), k)
}

// Key returns a key by id (CodeNotFound).
func Key(tx *bolt.Tx, id string) (domain.APIKey, error) {
	var k domain.APIKey
	ok, err := getJSON(tx.Bucket(bKeys), []byte(id), &k)
	if err == nil && !ok {
		err = notFound("key", id)
	}
	return k, err
}

// KeyByHash returns the key whose secret hashes to hash (CodeNotFound). The
// stored hash is compared in constant time before it is trusted.
func KeyByHash(tx *bolt.Tx, hash string) (domain.APIKey, error) {
	id := tx.Bucket(bKeysByHash).Get([]byte(hash))
	if id == nil {
		return domain.APIKey{}, notFound("key", "")
	}
	k, err := Key(tx, string(id))
	if err != nil {
		return k, err
	}
	if !domain.KeyHashEqual(k.Hash, hash) {
		return domain.APIKey{}, notFound("key", "")
	}
	return k, nil
}

// Keys lists an account's keys newest first, before the key id before.
func Keys(tx *bolt.Tx, accountID, before string, limit int) ([]domain.APIKey, error) {
	var b ulid.ULID
	if before != "" {
		var err error
		if b, err = ownedCursor(tx, bKeys, accountID, before, "key_", func(v []byte) (string, error) {
			var k domain.APIKey
			return k.AccountID, jsonUnmarshal(v, &k)
		}); err != nil {
			return nil, err
		}
	}
	var out []domain.APIKey
	err := listNewest(tx.Bucket(bKeysByAccount), []byte(accountID), b, limit, func(_, id []byte) error {
		k, err := Key(tx, string(id))
		out = append(out, k)
		return err
	})
	return out, err
}

// ownedCursor turns a before_id into a ULID cursor, checking it names an
// existing entity of the account (CodeInvalid otherwise: an unknown cursor is
// a bad request, and another account's id must not be told apart from it).
func ownedCursor(tx *bolt.Tx, bucket []byte, accountID, id, prefix string, owner func(v []byte) (string, error)) (ulid.ULID, error) {
	u, err := ParseID("before_id", prefix, id)
	if err != nil {
		return u, err
	}
	v := tx.Bucket(bucket).Get([]byte(id))
	if v == nil {
		return u, domain.Errorf(domain.CodeInvalid, "before_id %q is not a known id", id)
	}
	acc, err := owner(v)
	if err != nil {
		return u, err
	}
	if acc != accountID {
		return u, domain.Errorf(domain.CodeInvalid, "before_id %q is not a known id", id)
	}
	return u, nil
}

// CreateKey adds a key to an account (CodeNotFound for no account).
func CreateKey(accountID, hash, prefix, description string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		if _, err := Account(tx.Tx, accountID); err != nil {
			return nil, err
		}
		if err := domain.ValidateName("description", description); err != nil {
			return nil, err
		}
		return []events.Draft{{Type: events.KeyCreated, Account: accountID, Data: events.KeyCreatedData{
			KeyID: "key_" + tx.NewID().String(), Prefix: prefix, Hash: hash, Description: description}}}, nil
	}
}

// KeyIDFromEvents returns the id of the key created by CreateKey or CreateAccount.
func KeyIDFromEvents(evs []events.Event) string {
	for _, ev := range evs {
		if ev.Type == events.KeyCreated {
			var d events.KeyCreatedData
			if ev.DecodeData(&d) == nil {
				return d.KeyID
			}
		}
	}
	return ""
}

// RevokeKey revokes one of the account's keys: CodeNotFound when it is not
// the account's, CodeConflict when it is already revoked or the last active one.
func RevokeKey(accountID, keyID string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		k, err := Key(tx.Tx, keyID)
		if err != nil || k.AccountID != accountID {
			return nil, notFound("key", keyID)
		}
		if k.Revoked() {
			return nil, domain.Errorf(domain.CodeConflict, "key %q is already revoked", keyID)
		}
		active := 0
		err = listNewest(tx.Bucket(bKeysByAccount), []byte(accountID), ulid.ULID{}, 1<<30, func(_, id []byte) error {
			other, err := Key(tx.Tx, string(id))
			if err == nil && !other.Revoked() {
				active++
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if active <= 1 {
			return nil, domain.Errorf(domain.CodeConflict, "key %q is the account's last active key; create another first", keyID)
		}
		return []events.Draft{{Type: events.KeyRevoked, Account: accountID, Data: events.KeyRevokedData{KeyID: keyID}}}, nil
	}
}
