package projections

import (
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// Dashboard sessions: p_sessions maps the SHA-256 of a cookie's value to
// the session; p_sessions_account indexes an account's sessions by the
// ULID of their public id. A revoked session is deleted from both.

func applySessionCreated(tx *bolt.Tx, ev *events.Event, d *events.SessionCreatedData) error {
	s := domain.Session{ID: d.SessionID, AccountID: ev.Account, IDHash: d.IDHash, IP: d.IP, UserAgent: d.UserAgent,
		CreatedAt: ev.At, IdleFor: time.Duration(d.IdleFor) * time.Second, ExpiresAt: d.ExpiresAt}
	if err := putJSON(tx.Bucket(bSessions), []byte(d.IDHash), s); err != nil {
		return err
	}
	u, _ := idULID(d.SessionID)
	return tx.Bucket(bSessionsByAcct).Put(key([]byte(ev.Account), u[:]), []byte(d.IDHash))
}

func applySessionRevoked(tx *bolt.Tx, ev *events.Event, d *events.SessionRevokedData) error {
	u, _ := idULID(d.SessionID)
	k := key([]byte(ev.Account), u[:])
	idx := tx.Bucket(bSessionsByAcct)
	if hash := idx.Get(k); hash != nil {
		if err := tx.Bucket(bSessions).Delete(append([]byte(nil), hash...)); err != nil {
			return err
		}
	}
	return idx.Delete(k)
}

// SessionByHash returns the session whose cookie value hashes to idHash
// (CodeNotFound, also once revoked). Expiry is the caller's to check.
func SessionByHash(tx *bolt.Tx, idHash string) (domain.Session, error) {
	var s domain.Session
	ok, err := getJSON(tx.Bucket(bSessions), []byte(idHash), &s)
	if err == nil && (!ok || !hashEqual(s.IDHash, idHash)) {
		return domain.Session{}, notFound("session", "")
	}
	return s, err
}

// Sessions lists an account's sessions, newest first (expired ones too:
// the caller filters by its clock and last-seen times).
func Sessions(tx *bolt.Tx, accountID string) ([]domain.Session, error) {
	var out []domain.Session
	err := listNewest(tx.Bucket(bSessionsByAcct), []byte(accountID), ulid.ULID{}, 1000, func(_, hash []byte) error {
		s, err := SessionByHash(tx, string(hash))
		out = append(out, s)
		return err
	})
	return out, err
}

// NewSession is the input of CreateSession: the caller has checked the
// password (outside the write transaction) against PasswordHash.
type NewSession struct {
	AccountID    string
	PasswordHash string // the PHC string the password was checked against
	IDHash       string // SHA-256 (hex) of the cookie's value
	IP           string
	UserAgent    string
	IdleFor      time.Duration
	TTL          time.Duration
}

// CreateSession records a sign-in. It fails with CodeUnauthorized when the
// account's password changed since it was checked (or it has none now),
// so a sign-in racing a password change cannot use the old one.
func CreateSession(in NewSession) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		cur, err := AccountPassword(tx.Tx, in.AccountID)
		if err != nil || !hashEqual(cur, in.PasswordHash) {
			return nil, domain.Errorf(domain.CodeUnauthorized, "wrong email or password")
		}
		ds := expiredDrafts(tx.Tx, in.AccountID, tx.Now(), maxExpiredPerSignin)
		return append(ds, events.Draft{Type: events.SessionCreated, Account: in.AccountID, Data: events.SessionCreatedData{
			SessionID: "web_" + tx.NewID().String(), IDHash: in.IDHash, IP: in.IP, UserAgent: truncateUA(in.UserAgent),
			IdleFor: int64(in.IdleFor / time.Second), ExpiresAt: tx.Now().Add(in.TTL).UTC().Truncate(time.Second)}}), nil
	}
}

// maxExpiredPerSignin bounds the clean-up one sign-in does.
const maxExpiredPerSignin = 100

// expiredDrafts revokes (reason "expired") up to limit of the account's
// sessions whose absolute expiry has passed. A sign-in is where they are
// swept: the projection then holds at most an account's live sessions plus
// those expired since its last sign-in, and since the removal is an event,
// a rebuild from the log ends with the same buckets. (Idle expiry is kept
// in memory by the API, so only absolute expiry is known here.)
func expiredDrafts(tx *bolt.Tx, accountID string, now time.Time, limit int) []events.Draft {
	var ds []events.Draft
	prefix := key([]byte(accountID), nil)
	c := tx.Bucket(bSessionsByAcct).Cursor()
	for k, hash := c.Seek(prefix); k != nil && len(ds) < limit && len(k) == len(prefix)+16 && string(k[:len(prefix)]) == string(prefix); k, hash = c.Next() {
		var s domain.Session
		if ok, err := getJSON(tx.Bucket(bSessions), hash, &s); err != nil || !ok || now.Before(s.ExpiresAt) {
			continue
		}
		var u ulid.ULID
		copy(u[:], k[len(prefix):])
		ds = append(ds, events.Draft{Type: events.SessionRevoked, Account: accountID,
			Data: events.SessionRevokedData{SessionID: "web_" + u.String(), Reason: "expired"}})
	}
	return ds
}

// SigninFailed records a failed sign-in to an existing account.
func SigninFailed(accountID, ip, userAgent, reason string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		return []events.Draft{{Type: events.SigninFailed, Account: accountID,
			Data: events.SigninFailedData{IP: ip, UserAgent: truncateUA(userAgent), Reason: reason}}}, nil
	}
}

// RevokeSession ends one of the account's sessions (CodeNotFound when it
// has no such session: another account's is not found either).
func RevokeSession(accountID, sessionID, reason string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		u, ok := idULID(sessionID)
		if !ok || len(sessionID) < 4 || sessionID[:4] != "web_" ||
			tx.Bucket(bSessionsByAcct).Get(key([]byte(accountID), u[:])) == nil {
			return nil, notFound("session", sessionID)
		}
		return []events.Draft{{Type: events.SessionRevoked, Account: accountID,
			Data: events.SessionRevokedData{SessionID: sessionID, Reason: reason}}}, nil
	}
}

// RevokeSessions ends all of the account's sessions but except (a session
// id, or "").
func RevokeSessions(accountID, reason, except string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		return revokeAllDrafts(tx.Tx, accountID, reason, except), nil
	}
}

func revokeAllDrafts(tx *bolt.Tx, accountID, reason, except string) []events.Draft {
	var ds []events.Draft
	prefix := key([]byte(accountID), nil)
	c := tx.Bucket(bSessionsByAcct).Cursor()
	for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+16 && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		var u ulid.ULID
		copy(u[:], k[len(prefix):])
		id := "web_" + u.String()
		if id == except {
			continue
		}
		ds = append(ds, events.Draft{Type: events.SessionRevoked, Account: accountID,
			Data: events.SessionRevokedData{SessionID: id, Reason: reason}})
	}
	return ds
}

// truncateUA bounds a user agent kept in the log to 256 bytes.
func truncateUA(ua string) string {
	if len(ua) > 256 {
		ua = ua[:256]
	}
	return ua
}

// SessionFromEvents returns the session.created payload among CreateSession's events.
func SessionFromEvents(evs []events.Event) (events.SessionCreatedData, bool) {
	for _, ev := range evs {
		var d events.SessionCreatedData
		if ev.Type == events.SessionCreated && ev.DecodeData(&d) == nil {
			return d, true
		}
	}
	return events.SessionCreatedData{}, false
}

// PasswordLinkFromEvents returns the payload among CreatePasswordLink's events.
func PasswordLinkFromEvents(evs []events.Event) (events.AccountPasswordLinkCreatedData, bool) {
	for _, ev := range evs {
		var d events.AccountPasswordLinkCreatedData
		if ev.Type == events.AccountPasswordLinkCreated && ev.DecodeData(&d) == nil {
			return d, true
		}
	}
	return events.AccountPasswordLinkCreatedData{}, false
}
