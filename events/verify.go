package events

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
)

// VerifyError names the first event that breaks the chain.
type VerifyError struct {
	Index  uint64 // 0-based position in the log
	ID     string // the event's key, as a ULID when it is one
	Reason string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("event #%d (%s): %s", e.Index, e.ID, e.Reason)
}

// verifyDropEvery is how many events Verify reads between handing the
// pages it has read back to the kernel: a walk of the whole file otherwise
// keeps all of it resident (1 GB of RSS for a million captures).
const verifyDropEvery = 32_768

// Verify walks the whole log: every event's stored layout is sound, its key
// is its id, ids strictly increase, each prev is the SHA-256 of the previous
// stored bytes, and the head matches. It returns the head, or a
// *VerifyError. progress, if set, is called every 65,536 events.
//
// Payloads are not parsed: the chain proves each event's bytes are those
// the writer appended, and the writer checked them then. Parsing the JSON
// was 60 % of the walk's time, and it would not survive a binary payload
// encoding.
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
			if reason := checkStored(k, v); reason != "" {
				return &VerifyError{Index: h.Count, ID: keyString(k), Reason: reason}
			}
			var id ulid.ULID
			copy(id[:], k)
			if h.Count > 0 && id.Compare(h.ID) <= 0 {
				return &VerifyError{Index: h.Count, ID: id.String(), Reason: "id does not increase"}
			}
			sum := sha256.Sum256(v)
			if !bytes.Equal(v[17:49], h.Hash[:]) {
				// Either the previous event's bytes changed or this event's
				// prev did. This event is intact if the next link (or the
				// recorded head) still matches its hash: then blame the previous.
				if h.Count > 0 && nextLinkMatches(tx, c, sum) {
					return &VerifyError{Index: h.Count - 1, ID: h.ID.String(),
						Reason: "its hash no longer matches the next event's prev: its bytes changed, or an event after it is missing"}
				}
				return &VerifyError{Index: h.Count, ID: id.String(), Reason: "prev hash does not match the previous event"}
			}
			h = Head{Count: h.Count + 1, ID: id, Hash: sum}
			if h.Count%verifyDropEvery == 0 {
				// The mapping cannot move inside this read transaction.
				DropMapped(tx)
			}
			if progress != nil && h.Count%65536 == 0 {
				progress(h.Count)
			}
		}
		DropMapped(tx)
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

// checkStored checks, without copying anything, what Decode checks of an
// event's layout (format, type and account lengths) and that the stored id
// is the key; "" when sound, else the reason, worded as Verify always has.
func checkStored(k, v []byte) string {
	if len(v) < minEncodedV1 {
		return fmt.Sprintf("does not decode: events: stored event too short (%d bytes)", len(v))
	}
	if v[0] != formatV1 {
		return fmt.Sprintf("does not decode: events: unknown stored format %d", v[0])
	}
	id := ulid.ULID(v[1:17])
	p := headerFixed
	tl := int(v[p])
	p++
	if tl == 0 || len(v) < p+tl+2 {
		return fmt.Sprintf("does not decode: events: stored event %s: bad type length", id)
	}
	p += tl
	if al := int(binary.BigEndian.Uint16(v[p : p+2])); len(v) < p+2+al {
		return fmt.Sprintf("does not decode: events: stored event %s: bad account length", id)
	}
	if !bytes.Equal(v[1:17], k) {
		return "stored id " + id.String() + " differs from its key"
	}
	return ""
}

// keyString renders an event key for a VerifyError: as a ULID when it is one.
func keyString(k []byte) string {
	if len(k) == 16 {
		return ulid.ULID(k).String()
	}
	return fmt.Sprintf("%x", k)
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
