package projections

import (
	"bytes"
	"strings"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/events"
)

// The audit index: every event of an account but its captured requests,
// which p_requests already indexes by the same account·ULID key. Walking
// both in step gives an account's whole history, so an account with few
// events in a large log costs a page, not a walk of the log.
func indexAccountEvent(tx *bolt.Tx, ev *events.Event) error {
	if ev.Account == "" || ev.Type == events.RequestCaptured {
		return nil
	}
	return tx.Bucket(bEventsByAcct).Put(key([]byte(ev.Account), ev.ID[:]), []byte(ev.Type))
}

// idCursor walks one account·ULID index.
type idCursor struct {
	c      *bolt.Cursor
	prefix []byte
	typ    events.Type // fixed type, or "" to read it from the value
	k, v   []byte
}

func (ic *idCursor) valid() bool {
	return ic.k != nil && len(ic.k) == len(ic.prefix)+16 && bytes.HasPrefix(ic.k, ic.prefix)
}

func (ic *idCursor) id() (id ulid.ULID) {
	copy(id[:], ic.k[len(ic.prefix):])
	return id
}

func (ic *idCursor) eventType() events.Type {
	if ic.typ != "" {
		return ic.typ
	}
	return events.Type(ic.v)
}

// accountCursors opens the cursors whose types can match typePrefix.
func accountCursors(tx *bolt.Tx, accountID, typePrefix string) []*idCursor {
	prefix := key([]byte(accountID), nil)
	var out []*idCursor
	if strings.HasPrefix(string(events.RequestCaptured), typePrefix) {
		out = append(out, &idCursor{c: tx.Bucket(bRequests).Cursor(), prefix: prefix, typ: events.RequestCaptured})
	}
	for _, t := range events.Types() {
		if t != events.RequestCaptured && strings.HasPrefix(string(t), typePrefix) {
			out = append(out, &idCursor{c: tx.Bucket(bEventsByAcct).Cursor(), prefix: prefix})
			break
		}
	}
	return out
}

// AccountEventsBackward calls fn with the id and type of each of the
// account's events whose type starts with typePrefix, newest first, below
// before (zero: from the newest), until fn returns false.
func AccountEventsBackward(tx *bolt.Tx, accountID, typePrefix string, before ulid.ULID, fn func(ulid.ULID, events.Type) bool) {
	cs := accountCursors(tx, accountID, typePrefix)
	for _, ic := range cs {
		start := append(append([]byte(nil), ic.prefix...), before[:]...)
		if before == (ulid.ULID{}) {
			start = append(append([]byte(nil), ic.prefix[:len(ic.prefix)-1]...), 1)
		}
		if ic.k, ic.v = ic.c.Seek(start); ic.k == nil {
			ic.k, ic.v = ic.c.Last()
		} else {
			ic.k, ic.v = ic.c.Prev()
		}
	}
	for {
		var best *idCursor
		for _, ic := range cs {
			if ic.valid() && (best == nil || bytes.Compare(ic.k, best.k) > 0) {
				best = ic
			}
		}
		if best == nil {
			return
		}
		if t := best.eventType(); strings.HasPrefix(string(t), typePrefix) && !fn(best.id(), t) {
			return
		}
		best.k, best.v = best.c.Prev()
	}
}

// AccountEventsForward is AccountEventsBackward oldest first, above after.
func AccountEventsForward(tx *bolt.Tx, accountID, typePrefix string, after ulid.ULID, fn func(ulid.ULID, events.Type) bool) {
	cs := accountCursors(tx, accountID, typePrefix)
	for _, ic := range cs {
		ic.k, ic.v = ic.c.Seek(append(append([]byte(nil), ic.prefix...), after[:]...))
		if ic.valid() && ic.id() == after {
			ic.k, ic.v = ic.c.Next()
		}
	}
	for {
		var best *idCursor
		for _, ic := range cs {
			if ic.valid() && (best == nil || bytes.Compare(ic.k, best.k) < 0) {
				best = ic
			}
		}
		if best == nil {
			return
		}
		if t := best.eventType(); strings.HasPrefix(string(t), typePrefix) && !fn(best.id(), t) {
			return
		}
		best.k, best.v = best.c.Next()
	}
}
