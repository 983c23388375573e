package projections

import (
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
	"unicode/utf8"

	"warren/domain"
	"warren/events"
)

// requestSummary decodes a request.captured payload without its header sets,
// which are the bulk of it and which no projection keeps: the index holds
// summaries, and the detail view reads the event itself from the log.
type requestSummary struct {
	domain.CapturedRequest
	ReqHeaders  skipJSON `json:"requestHeaders"`
	RespHeaders skipJSON `json:"responseHeaders"`

	stored []byte // the summary as the index stores it; see prepare
}

// prepare completes the summary from the envelope and encodes it, apart from
// the write transaction (rebuild does it on the reading goroutine).
func (s *requestSummary) prepare(ev *events.Event) error {
	r := &s.CapturedRequest
	r.ID, r.AccountID, r.CreatedAt = ev.ID.String(), ev.Account, ev.At
	s.stored = encodeSummary(r)
	return nil
}

// summaryFromValue builds the summary from the typed payload a live append
// carries, as decoding its JSON would: the headers dropped. JSON replaces
// invalid UTF-8, so a string that is not valid UTF-8 sends the event the
// decoding way (rebuild must find the same summary live appends stored).
func summaryFromValue(ev *events.Event) (*requestSummary, bool) {
	var r domain.CapturedRequest
	switch v := ev.Value().(type) {
	case domain.CapturedRequest:
		r = v
	case *domain.CapturedRequest:
		r = *v
	default:
		return nil, false
	}
	for _, s := range [...]string{r.ID, r.AccountID, r.TunnelID, r.Tunnel, r.Kind, r.Method, r.Path, r.IP,
		r.UserAgent, r.Proto, r.Host, r.ReqBody.SHA256, r.RespBody.SHA256, r.Error, r.ReplayOf} {
		if !utf8.ValidString(s) {
			return nil, false
		}
	}
	r.ReqHeaders, r.RespHeaders = nil, nil
	return &requestSummary{CapturedRequest: r}, true
}

// skipJSON discards a JSON value without building it.
type skipJSON struct{}

func (*skipJSON) UnmarshalJSON([]byte) error { return nil }

func applyRequestCaptured(tx *bolt.Tx, ev *events.Event, s *requestSummary, u usageBatch) error {
	r := &s.CapturedRequest
	acc := []byte(ev.Account)
	if err := tx.Bucket(bRequests).Put(key(acc, ev.ID[:]), s.stored); err != nil {
		return err
	}
	if err := tx.Bucket(bRequestsByTun).Put(key(acc, []byte(r.Tunnel), ev.ID[:]), []byte{}); err != nil {
		return err
	}
	u.addRequest(ev.Account, r.Tunnel, ev.At, r.BytesIn, r.BytesOut, r.ReplayOf != "")
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
// account's requests from its event, or CodeNotFound.
func Request(tx *bolt.Tx, accountID string, id ulid.ULID) (domain.CapturedRequest, error) {
	if _, err := RequestSummary(tx, accountID, id); err != nil {
		return domain.CapturedRequest{}, err
	}
	ev, ok, err := events.GetTx(tx, id)
	if err != nil || !ok {
		return domain.CapturedRequest{}, firstErr(err, notFound("request", domain.RequestIDPrefix+id.String()))
	}
	var r domain.CapturedRequest
	if err := ev.DecodeData(&r); err != nil {
		return r, err
	}
	r.ID, r.AccountID, r.CreatedAt = ev.ID.String(), ev.Account, ev.At
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
