package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

// routesAudit registers the audit trail, checkpoint, backup and export
// routes (the audit work of issue 5).
func (s *Server) routesAudit() []route {
	return []route{
		{Method: http.MethodGet, Path: "/api/v1/checkpoint", Access: accessOperator, Handle: s.checkpointHandler},
		{Method: http.MethodGet, Path: "/api/v1/me/events", Access: accessKey, Handle: s.myEventsHandler},
		{Method: http.MethodGet, Path: "/api/v1/me/events/stream", Access: accessKey, Handle: s.myEventsStreamHandler},
		{Method: http.MethodGet, Path: "/api/v1/admin/events", Access: accessOperator, Handle: s.adminEventsHandler},
		{Method: http.MethodGet, Path: "/api/v1/admin/backup", Access: accessOperator, Handle: s.backupHandler},
	}
}

// auditEventJSON is one event as the audit API shows it.
type auditEventJSON struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Account string          `json:"account,omitempty"`
	At      string          `json:"at"`
	Data    json.RawMessage `json:"data"`
}

// auditFilter selects events: all zero values match everything.
type auditFilter struct {
	Account string // "" = every account (the operator's view)
	Type    string // type prefix, "key." or "tunnel.opened"
	Since   time.Time
	Until   time.Time
}

func (f auditFilter) match(ev *events.Event) bool {
	return (f.Account == "" || ev.Account == f.Account) &&
		strings.HasPrefix(string(ev.Type), f.Type) &&
		(f.Since.IsZero() || !ev.At.Before(f.Since)) &&
		(f.Until.IsZero() || ev.At.Before(f.Until))
}

// parseAuditFilter reads type, since and until (RFC 3339; since inclusive,
// until exclusive). Bad times are CodeInvalid.
func parseAuditFilter(r *http.Request, account string) (auditFilter, error) {
	q := r.URL.Query()
	f := auditFilter{Account: account, Type: q.Get("type")}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := q.Get(t.name)
		if v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return f, domain.Errorf(domain.CodeInvalid, "%s %q is not an RFC 3339 time", t.name, v)
		}
		*t.dst = at
	}
	return f, nil
}

// parseEventID reads an event id cursor: a bare ULID (the ids the audit API
// shows) or one with a type prefix such as req_.
func parseEventID(field, v string) (ulid.ULID, error) {
	if i := strings.IndexByte(v, '_'); i >= 0 {
		v = v[i+1:]
	}
	id, err := ulid.ParseStrict(v)
	if err != nil {
		return id, domain.Errorf(domain.CodeInvalid, "%s %q is not an event id", field, v)
	}
	return id, nil
}

func (s *Server) myEventsHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.listEvents(w, r, c.Account.ID)
}

func (s *Server) adminEventsHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.listEvents(w, r, "")
}

// listEvents writes one page of matching events, newest first.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, account string) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	f, err := parseAuditFilter(r, account)
	if err != nil {
		return err
	}
	var before ulid.ULID
	if p.Before != "" {
		if before, err = parseEventID("before_id", p.Before); err != nil {
			return err
		}
		// As for every list: a cursor must be one of the caller's own.
		ev, ok, err := s.log.Get(before)
		if err != nil {
			return err
		}
		if !ok || (account != "" && ev.Account != account) {
			return domain.Errorf(domain.CodeInvalid, "before_id %q is not one of your events", p.Before)
		}
	}
	evs, err := s.auditBackward(f, before, p.fetch())
	if err != nil {
		return err
	}
	evs, more := cutPage(evs, p)
	out := make([]auditEventJSON, 0, len(evs))
	last := ""
	for i := range evs {
		j, err := toAuditEventJSON(&evs[i])
		if err != nil {
			return err
		}
		out = append(out, j)
		last = j.ID
	}
	return writeJSON(w, http.StatusOK, map[string]any{"events": out, "next_page_uri": s.nextPageURI(r, p, more, last)})
}

// auditChunk is how many events one read transaction walks.
const auditChunk = 1024

// auditBackward returns up to limit events matching f below before (zero:
// from the head), newest first. An account's events come from its index
// (projections.AccountEventsBackward), so a page costs a page even for an
// account with few events in a large log; the operator's view walks the log.
func (s *Server) auditBackward(f auditFilter, before ulid.ULID, limit int) ([]events.Event, error) {
	if f.Account != "" {
		return s.collectIndexed(f, limit, func(tx *bolt.Tx, fn func(ulid.ULID, events.Type) bool) {
			projections.AccountEventsBackward(tx, f.Account, f.Type, before, fn)
		})
	}
	var out []events.Event
	cursor := before
	for len(out) < limit {
		evs, err := s.log.ReadBackward(cursor, auditChunk)
		if err != nil {
			return nil, err
		}
		for i := range evs {
			if f.match(&evs[i]) {
				out = append(out, evs[i])
				if len(out) == limit {
					return out, nil
				}
			}
		}
		if len(evs) < auditChunk {
			break
		}
		cursor = evs[len(evs)-1].ID
	}
	return out, nil
}

// collectIndexed reads, in one transaction, the events an account index
// walk names, keeping up to limit that match f.
func (s *Server) collectIndexed(f auditFilter, limit int, walk func(*bolt.Tx, func(ulid.ULID, events.Type) bool)) ([]events.Event, error) {
	var out []events.Event
	err := s.view(func(tx *bolt.Tx) error {
		var ferr error
		walk(tx, func(id ulid.ULID, _ events.Type) bool {
			ev, ok, err := events.GetTx(tx, id)
			if err != nil {
				ferr = err
				return false
			}
			if ok && f.match(&ev) {
				out = append(out, ev)
			}
			return len(out) < limit
		})
		return ferr
	})
	return out, err
}

// auditForward returns up to limit events matching f after after, oldest
// first (the stream's read).
func (s *Server) auditForward(f auditFilter, after ulid.ULID, limit int) ([]events.Event, error) {
	var out []events.Event
	if f.Account != "" {
		return s.collectIndexed(f, limit, func(tx *bolt.Tx, fn func(ulid.ULID, events.Type) bool) {
			projections.AccountEventsForward(tx, f.Account, f.Type, after, fn)
		})
	}
	stop := errors.New("enough events")
	err := s.log.ReadFrom(after, func(ev events.Event) error {
		if f.match(&ev) {
			out = append(out, ev)
			if len(out) == limit {
				return stop
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return nil, err
	}
	return out, nil
}

// toAuditEventJSON renders ev without secrets: key.created loses the key's
// hash and shown prefix (keyId names it), request.captured the bodies' digests
// (bodies are never included), account.password_set the password's hash,
// account.password_link_created the token's and session.created the
// cookie's (sessionId names it).
func toAuditEventJSON(ev *events.Event) (auditEventJSON, error) {
	data := ev.Data
	var err error
	switch ev.Type {
	case events.KeyCreated:
		data, err = dropFields(data, "hash", "prefix")
	case events.RequestCaptured:
		data, err = dropBodyDigests(data)
	case events.AccountPasswordSet: // a stolen key must not fetch a hash to crack
		data, err = dropFields(data, "hash")
	case events.AccountPasswordLinkCreated:
		data, err = dropFields(data, "tokenHash")
	case events.SessionCreated:
		data, err = dropFields(data, "idHash")
	}
	if err != nil {
		return auditEventJSON{}, err
	}
	return auditEventJSON{ID: ev.ID.String(), Type: string(ev.Type), Account: ev.Account,
		At: ev.At.UTC().Format(time.RFC3339Nano), Data: data}, nil
}

// dropFields removes top-level fields from a JSON object, keeping the rest
// byte for byte.
func dropFields(data json.RawMessage, names ...string) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	for _, n := range names {
		delete(m, n)
	}
	return json.Marshal(m)
}

func dropBodyDigests(data json.RawMessage) (json.RawMessage, error) {
	if !bytes.Contains(data, []byte(`"sha256"`)) {
		return data, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	for _, k := range []string{"requestBody", "responseBody"} {
		if b, ok := m[k]; ok {
			nb, err := dropFields(b, "sha256")
			if err != nil {
				return nil, err
			}
			m[k] = nb
		}
	}
	return json.Marshal(m)
}
