package projections

import (
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// requestSummary is a request.captured as the index keeps it: no header
// sets, which are the bulk of the event and which the detail view reads from
// the log itself. It is encoded apart from the write transaction (rebuild
// does it on the reading goroutine).
type requestSummary struct {
	tunnel            string
	path              string // for the tunnel's path column (request_paths.go)
	bytesIn, bytesOut int64
	replay            bool
	heads             events.Heads // set by decodePayload (usage: wire bytes)
	stored            []byte       // encodeSummary's
}

func newRequestSummary(ev *events.Event, p *events.RequestCapturedData) *requestSummary {
	r := p.Domain()
	r.ID, r.AccountID, r.CreatedAt = ev.ID.String(), ev.Account, ev.At
	return &requestSummary{tunnel: r.Tunnel, path: r.Path, bytesIn: r.BytesIn, bytesOut: r.BytesOut, replay: r.ReplayOf != "",
		stored: encodeSummary(&r)}
}

func applyRequestCaptured(tx *bolt.Tx, ev *events.Event, s *requestSummary, u usageBatch) error {
	acc := []byte(ev.Account)
	if err := tx.Bucket(bRequests).Put(key(acc, ev.ID[:]), s.stored); err != nil {
		return err
	}
	if err := tx.Bucket(bRequestsByTun).Put(key(acc, []byte(s.tunnel), ev.ID[:]), []byte{}); err != nil {
		return err
	}
	if err := u.paths.add(tx, ev.Account, s.tunnel, ev.ID, s.path); err != nil {
		return err
	}
	u.addRequest(ev.Account, s.tunnel, ev.At, s.bytesIn, s.bytesOut, s.heads, s.replay)
	return nil
}

// RequestSummary returns the indexed summary of one of the account's
// captured requests (no headers), or CodeNotFound.
func RequestSummary(tx *bolt.Tx, accountID string, id ulid.ULID) (domain.CapturedRequest, error) {
	v := tx.Bucket(bRequests).Get(key([]byte(accountID), id[:]))
	if v == nil {
		return domain.CapturedRequest{}, notFound("request", domain.RequestIDPrefix+id.String())
	}
	return decodeSummary(v)
}

// Request returns the full capture (headers, body info) of one of the
// account's requests from its event, the values of sealed headers put back
// while retained (see events.CapturedRequestTx), or CodeNotFound.
func Request(tx *bolt.Tx, accountID string, id ulid.ULID) (domain.CapturedRequest, error) {
	if _, err := RequestSummary(tx, accountID, id); err != nil {
		return domain.CapturedRequest{}, err
	}
	r, ok, err := events.CapturedRequestTx(tx, id)
	if err != nil || !ok {
		return domain.CapturedRequest{}, firstErr(err, notFound("request", domain.RequestIDPrefix+id.String()))
	}
	return r, nil
}

// Requests lists an account's captured request summaries newest first, below
// before (zero: from the newest); tunnel "" lists every tunnel. A before id
// that is not one of the listed requests is CodeInvalid.
func Requests(tx *bolt.Tx, accountID, tunnel string, before ulid.ULID, limit int) ([]domain.CapturedRequest, error) {
	acc := []byte(accountID)
	if before != (ulid.ULID{}) {
		r, err := RequestSummary(tx, accountID, before)
		if err != nil || tunnel != "" && r.Tunnel != tunnel {
			return nil, domain.Errorf(domain.CodeInvalid, "before_id %q is not a known request", domain.RequestIDPrefix+before.String())
		}
	}
	var out []domain.CapturedRequest
	if tunnel == "" {
		err := listNewest(tx.Bucket(bRequests), acc, before, limit, func(_, v []byte) error {
			r, err := decodeSummary(v)
			out = append(out, r)
			return err
		})
		return out, err
	}
	reqs := tx.Bucket(bRequests)
	err := listNewest(tx.Bucket(bRequestsByTun), key(acc, []byte(tunnel)), before, limit, func(k, _ []byte) error {
		r, err := decodeSummary(reqs.Get(key(acc, k[len(k)-16:])))
		out = append(out, r)
		return err
	})
	return out, err
}

// RequestsAfter returns up to limit of the account's request summaries with
// ids greater than after, oldest first (tunnel "" = all): the backlog of a
// resumed stream.
func RequestsAfter(tx *bolt.Tx, accountID, tunnel string, after ulid.ULID, limit int) ([]domain.CapturedRequest, error) {
	acc := []byte(accountID)
	var prefix []byte
	if tunnel == "" {
		prefix = key(acc, nil)
	} else {
		prefix = key(acc, []byte(tunnel), nil)
	}
	c := tx.Bucket(bRequestsByTun).Cursor()
	if tunnel == "" {
		c = tx.Bucket(bRequests).Cursor()
	}
	reqs := tx.Bucket(bRequests)
	var out []domain.CapturedRequest
	start := append(append([]byte(nil), prefix...), after[:]...)
	for k, v := c.Seek(start); k != nil && len(k) == len(prefix)+16 && string(k[:len(prefix)]) == string(prefix) && len(out) < limit; k, v = c.Next() {
		var id ulid.ULID
		copy(id[:], k[len(prefix):])
		if id.Compare(after) <= 0 {
			continue
		}
		if tunnel != "" {
			v = reqs.Get(key(acc, id[:]))
		}
		r, err := decodeSummary(v)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
