package events

import (
	"bytes"
	"crypto/sha256"
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

// VerifyError names the first event that breaks the chain.
type VerifyError struct {
	Index  uint64 // 0-based position in the log
	ID     string // the event's key, as a ULID when it is one
	Reason string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("event #%d (%s): %s", e.Index, e.ID, e.Reason)
}

// Verify walks the whole log: every event decodes, its key is its id, ids
// strictly increase, each prev is the SHA-256 of the previous stored bytes,
// and the head matches. It returns the head, or a *VerifyError. progress, if
// set, is called every 65,536 events.
func (l *Log) Verify(progress func(n uint64)) (Head, error) {
	return l.VerifyPrefix(0, progress)
}

// VerifyPrefix is Verify limited to the first n events (0: all), for checking
// a checkpoint; the returned head is that of the prefix.
func (l *Log) VerifyPrefix(n uint64, progress func(n uint64)) (Head, error) {
	var h Head
	err := l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.First(); k != nil && (n == 0 || h.Count < n); k, v = c.Next() {
			id := fmt.Sprintf("%x", k)
			if len(k) == 16 {
				id = ulid.ULID(k).String()
			}
			fail := func(reason string) error { return &VerifyError{Index: h.Count, ID: id, Reason: reason} }
			ev, err := Decode(v)
			if err != nil {
				return fail("does not decode: " + err.Error())
			}
			if !bytes.Equal(ev.ID[:], k) {
				return fail("stored id " + ev.ID.String() + " differs from its key")
			}
			if h.Count > 0 && ev.ID.Compare(h.ID) <= 0 {
				return fail("id does not increase")
			}
			sum := sha256.Sum256(v)
			if ev.Prev != h.Hash {
				// Either the previous event's bytes changed or this event's
				// prev did. This event is intact if the next link (or the
				// recorded head) still matches its hash: then blame the previous.
				if h.Count > 0 && nextLinkMatches(tx, c, sum) {
					return &VerifyError{Index: h.Count - 1, ID: h.ID.String(),
						Reason: "its hash no longer matches the next event's prev: its bytes changed, or an event after it is missing"}
				}
				return fail("prev hash does not match the previous event")
			}
			h = Head{Count: h.Count + 1, ID: ev.ID, Hash: sum}
			if progress != nil && h.Count%65536 == 0 {
				progress(h.Count)
			}
		}
		if n != 0 {
			if h.Count < n {
				return &VerifyError{Index: h.Count, ID: "-", Reason: fmt.Sprintf("log holds %d events, fewer than %d", h.Count, n)}
			}
			return nil
		}
		stored, err := readHead(tx)
		if err != nil {
			return err
		}
		if stored != h {
			if stored.ID == h.ID && stored.Count == h.Count && h.Count > 0 {
				return &VerifyError{Index: h.Count - 1, ID: h.ID.String(),
					Reason: "stored bytes changed: their hash no longer matches the recorded head"}
			}
			return &VerifyError{Index: h.Count, ID: stored.ID.String(), Reason: "recorded head does not match the chain"}
		}
		return nil
	})
	return h, err
}

// nextLinkMatches reports whether the event after c's position records sum as
// its prev, or, at the end of the log, whether the recorded head's hash is sum.
// It moves c.
func nextLinkMatches(tx *bolt.Tx, c *bolt.Cursor, sum [32]byte) bool {
	if _, v := c.Next(); v != nil {
		return len(v) >= 49 && bytes.Equal(v[17:49], sum[:])
	}
	stored, err := readHead(tx)
	return err == nil && stored.Hash == sum
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
