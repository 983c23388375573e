package events

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
)

// view runs read in one read transaction and returns its result (what
// projections.View is for the projections; events cannot import them).
func view[T any](db *bolt.DB, read func(*bolt.Tx) (T, error)) (T, error) {
	var out T
	err := db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = read(tx)
		return err
	})
	return out, err
}

// Head returns the end of the log as last committed.
func (l *Log) Head() (Head, error) { return view(l.db, readHead) }

// HashHex renders a head hash for people.
func (h Head) HashHex() string { return hex.EncodeToString(h.Hash[:]) }

// ReadFrom calls fn for each event with an id greater than after, oldest
// first, in chunks of read transactions so a long walk holds no transaction
// for long. fn's error stops the walk and is returned.
func (l *Log) ReadFrom(after ulid.ULID, fn func(Event) error) error {
	const chunk = 4096
	cursor := after
	for {
		var evs []Event
		err := l.db.View(func(tx *bolt.Tx) error {
			var err error
			evs, err = ScanAfter(tx, cursor, chunk)
			return err
		})
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if err := fn(ev); err != nil {
				return err
			}
		}
		if len(evs) < chunk {
			return nil
		}
		cursor = evs[len(evs)-1].ID
	}
}

// ScanAfter returns up to limit events with an id greater than after, oldest
// first, read inside tx (rebuild uses it within its write transactions).
func ScanAfter(tx *bolt.Tx, after ulid.ULID, limit int) ([]Event, error) {
	c := tx.Bucket(bucketEvents).Cursor()
	k, v := c.Seek(after[:])
	if k != nil && bytes.Equal(k, after[:]) {
		k, v = c.Next()
	}
	var out []Event
	for ; k != nil && len(out) < limit; k, v = c.Next() {
		ev, err := decode(v, false)
		if err != nil {
			return out, fmt.Errorf("event %x: %w", k, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// ScanAfterShared is ScanAfter without copying each event's data: the
// Data of the events it returns are tx's own bytes, valid only until tx
// ends, and the caller must drop them by then. Rebuild decodes a chunk
// inside its read transaction this way (every decode copies what it
// keeps), which spares it a copy of each payload.
func ScanAfterShared(tx *bolt.Tx, after ulid.ULID, limit int) ([]Event, error) {
	c := tx.Bucket(bucketEvents).Cursor()
	k, v := c.Seek(after[:])
	if k != nil && bytes.Equal(k, after[:]) {
		k, v = c.Next()
	}
	out := make([]Event, 0, limit)
	for ; k != nil && len(out) < limit; k, v = c.Next() {
		ev, err := decodeShared(v)
		if err != nil {
			return out, fmt.Errorf("event %x: %w", k, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// ReadBackward returns up to limit events with an id less than before (zero
// ULID: from the head), newest first.
func (l *Log) ReadBackward(before ulid.ULID, limit int) ([]Event, error) {
	var out []Event
	err := l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		var k, v []byte
		if before == (ulid.ULID{}) {
			k, v = c.Last()
		} else {
			k, v = c.Seek(before[:])
			if k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			ev, err := Decode(v)
			if err != nil {
				return fmt.Errorf("event %x: %w", k, err)
			}
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

// Get returns one event by id, with ok=false when there is none.
func (l *Log) Get(id ulid.ULID) (ev Event, ok bool, err error) {
	err = l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketEvents).Get(id[:])
		if v == nil {
			return nil
		}
		ok = true
		ev, err = Decode(v)
		return err
	})
	return ev, ok, err
}

// Backup writes a consistent copy of the whole file (events, bodies and
// projections) to w while appends go on.
func (l *Log) Backup(w io.Writer) (int64, error) {
	var n int64
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// GetTx returns one event by id inside tx, with ok=false when there is none.
func GetTx(tx *bolt.Tx, id ulid.ULID) (ev Event, ok bool, err error) {
	v := tx.Bucket(bucketEvents).Get(id[:])
	if v == nil {
		return ev, false, nil
	}
	ev, err = Decode(v)
	return ev, err == nil, err
}

// HeadTx returns the end of the log as recorded inside tx (rebuild reads it
// from its own transactions).
func HeadTx(tx *bolt.Tx) (Head, error) { return readHead(tx) }
