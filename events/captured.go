package events

import (
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// CapturedRequestTx reads the captured request id inside tx, whatever the
// version of its event: the payload mapped to domain, with the envelope's
// id, account and time. ok=false when no such event exists; an event of
// another type is CodeInvalid.
func CapturedRequestTx(tx *bolt.Tx, id ulid.ULID) (domain.CapturedRequest, bool, error) {
	ev, ok, err := GetTx(tx, id)
	if err != nil || !ok {
		return domain.CapturedRequest{}, false, err
	}
	if ev.Type != RequestCaptured {
		return domain.CapturedRequest{}, false, domain.Errorf(domain.CodeInvalid, "event %s is a %s, not a captured request", id, ev.Type)
	}
	p, err := DecodePayload(&ev)
	if err != nil {
		return domain.CapturedRequest{}, false, err
	}
	r := p.(*RequestCapturedData).Domain()
	r.ID, r.AccountID, r.CreatedAt = ev.ID.String(), ev.Account, ev.At
	return r, true, nil
}
