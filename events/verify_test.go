package events_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/events"
)

// flipByte changes one byte of the n-th stored event's value, with bbolt
// directly, as an attacker or a bad disk would.
func flipByte(t *testing.T, path string, n, pos int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("events"))
		c := b.Cursor()
		k, v := c.First()
		for i := 0; i < n; i++ {
			k, v = c.Next()
		}
		if k == nil {
			return fmt.Errorf("no event #%d", n)
		}
		if pos < 0 {
			pos += len(v)
		}
		nv := append([]byte(nil), v...)
		nv[pos] ^= 0x01
		return b.Put(append([]byte(nil), k...), nv)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLog_Verify(t *testing.T) {
	const total = 50
	build := func(t *testing.T) (string, []events.Event) {
		// Unchecked: most subtests damage it.
		path := filepath.Join(t.TempDir(), "warren.db")
		l := openUnchecked(t, path, events.Options{})
		var evs []events.Event
		for i := 0; i < total; i++ {
			evs = append(evs, mustAppend(t, l, reservation("acc_v", fmt.Sprintf("v%03d", i)))...)
		}
		h, err := l.Verify(nil)
		if err != nil || h.Count != total || h.ID != evs[total-1].ID {
			t.Fatalf("clean log: %+v %v", h, err)
		}
		l.Close()
		return path, evs
	}
	t.Run("OK", func(t *testing.T) {
		path, _ := build(t)
		l := mustOpen(t, path, events.Options{ReadOnly: true})
		var calls int
		if _, err := l.Verify(func(uint64) { calls++ }); err != nil {
			t.Fatal(err)
		}
		if _, err := l.VerifyPrefix(10, nil); err != nil {
			t.Fatal(err)
		}
		var ve *events.VerifyError
		if _, err := l.VerifyPrefix(total+1, nil); !errors.As(err, &ve) {
			t.Fatalf("prefix longer than the log: %v", err)
		}
	})
	// Byte positions: format, id, prev, at, version, type, account, data (last byte).
	positions := map[string]int{"Format": 0, "ID": 5, "Prev": 20, "At": 55, "Version": 58, "TypeLen": 59,
		"Type": 62, "Data": -3, "DataLast": -1}
	for _, n := range []int{0, 1, 17, total - 2, total - 1} {
		for pname, pos := range positions {
			t.Run(fmt.Sprintf("Flip_%d_%s", n, pname), func(t *testing.T) {
				path, evs := build(t)
				flipByte(t, path, n, pos)
				l := openUnchecked(t, path, events.Options{ReadOnly: true})
				_, err := l.Verify(nil)
				var ve *events.VerifyError
				if !errors.As(err, &ve) {
					t.Fatalf("Verify after flipping = %v, want *VerifyError", err)
				}
				// Even when the stored id is the flipped byte, the key names the event.
				want := evs[n].ID.String()
				if ve.ID != want || ve.Index != uint64(n) {
					t.Fatalf("Verify named #%d %s (%s), want #%d %s", ve.Index, ve.ID, ve.Reason, n, want)
				}
			})
		}
	}
}

// deleteEvent removes the n-th stored event (counting from the end when n < 0).
func deleteEvent(t *testing.T, path string, n int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte("events")).Cursor()
		if n >= 0 {
			c.First()
			for i := 0; i < n; i++ {
				c.Next()
			}
		} else {
			c.Last()
		}
		return c.Delete()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLog_VerifyMissing(t *testing.T) {
	for name, n := range map[string]int{"First": 0, "Middle": 10, "Last": -1} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "warren.db")
			l := openUnchecked(t, path, events.Options{})
			for i := 0; i < 20; i++ {
				mustAppend(t, l, reservation("acc_v", fmt.Sprintf("m%03d", i)))
			}
			l.Close()
			deleteEvent(t, path, n)
			l = openUnchecked(t, path, events.Options{ReadOnly: true})
			_, err := l.Verify(nil)
			var ve *events.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Verify with event %d deleted = %v, want *VerifyError", n, err)
			}
			t.Logf("%v", ve)
		})
	}
}
