package events

import (
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// CapturedDraft is the request.captured draft of one finished exchange: its
// payload (CapturedFromDomain) with the values of sensitive headers (see
// secrets.go: the defaults and the operator's extra names) sealed, and its
// bodies — the request and response bodies, or nil — with the sealed values
// as SecretsPart. The header maps of r are not changed.
func CapturedDraft(account string, at time.Time, r domain.CapturedRequest, bodies [][]byte, extra []string) Draft {
	p := CapturedFromDomain(r)
	if blob, ok := sealHeaders(&p, extra); ok {
		parts := make([][]byte, SecretsPart+1)
		copy(parts, bodies)
		parts[SecretsPart] = blob
		bodies = parts
	}
	return Draft{Type: RequestCaptured, Account: account, At: at, Data: p, Bodies: bodies}
}

// CapturedRequestTx reads the captured request id inside tx, whatever the
// version of its event: the payload mapped to domain, with the envelope's
// id, account and time. The values of sealed headers are put back while
// they are retained (Secrets.Available); once pruned, those headers are
// left out of the maps and Secrets still names them. ok=false when no such
// event exists; an event of another type is CodeInvalid; sealed values that
// do not match their hashes are CodeInternal.
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
	if r.Secrets != nil {
		if err := revealHeaders(tx, id, &r); err != nil {
			return domain.CapturedRequest{}, false, err
		}
	}
	return r, true, nil
}
