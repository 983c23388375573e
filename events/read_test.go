package events_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/events"
)

func TestLog_Read(t *testing.T) {
	l, _ := openLog(t, events.Options{})
	var all []events.Event
	for i := 0; i < 10000; i += 100 {
		drafts := make([]events.Draft, 100)
		for j := range drafts {
			drafts[j] = reservation("acc_r", fmt.Sprintf("r%05d", i+j))
		}
		all = append(all, mustAppend(t, l, drafts...)...)
	}
	t.Run("Head", func(t *testing.T) {
		h, err := l.Head()
		if err != nil || h.Count != 10000 || h.ID != all[len(all)-1].ID || len(h.HashHex()) != 64 {
			t.Fatalf("head %+v %v", h, err)
		}
	})
	t.Run("ReadFromStart", func(t *testing.T) {
		var got []ulid.ULID
		if err := l.ReadFrom(ulid.ULID{}, func(ev events.Event) error { got = append(got, ev.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(all) {
			t.Fatalf("read %d, want %d", len(got), len(all))
		}
		for i := range got {
			if got[i] != all[i].ID {
				t.Fatalf("event %d is %s, want %s", i, got[i], all[i].ID)
			}
		}
	})
	t.Run("ReadFromMiddle", func(t *testing.T) {
		n := 0
		l.ReadFrom(all[4999].ID, func(ev events.Event) error {
			if ev.ID != all[5000+n].ID {
				t.Fatalf("got %s at %d", ev.ID, n)
			}
			n++
			return nil
		})
		if n != 5000 {
			t.Fatalf("read %d after the middle, want 5000", n)
		}
	})
	t.Run("ReadFromStops", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := l.ReadFrom(ulid.ULID{}, func(events.Event) error {
			n++
			if n == 7 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 7 {
			t.Fatalf("err %v after %d", err, n)
		}
	})
	t.Run("ReadBackward", func(t *testing.T) {
		got, err := l.ReadBackward(ulid.ULID{}, 3)
		if err != nil || len(got) != 3 || got[0].ID != all[9999].ID || got[2].ID != all[9997].ID {
			t.Fatalf("newest 3: %v %v", got, err)
		}
		got, err = l.ReadBackward(all[100].ID, 1000)
		if err != nil || len(got) != 100 || got[0].ID != all[99].ID || got[99].ID != all[0].ID {
			t.Fatalf("before #100: %d events, %v", len(got), err)
		}
		// A "before" beyond the head (not a stored id) reads from the newest.
		future := ulid.MustNew(ulid.Timestamp(time.Now().Add(time.Hour)), nil)
		got, err = l.ReadBackward(future, 1)
		if err != nil || len(got) != 1 || got[0].ID != all[9999].ID {
			t.Fatalf("before the future: %v %v", got, err)
		}
		got, _ = l.ReadBackward(all[0].ID, 10)
		if len(got) != 0 {
			t.Fatalf("before the first: %d events", len(got))
		}
	})
	t.Run("GetMissing", func(t *testing.T) {
		_, ok, err := l.Get(ulid.MustNew(1, nil))
		if ok || err != nil {
			t.Fatalf("Get(missing) = %v, %v", ok, err)
		}
		l.DB().View(func(tx *bolt.Tx) error {
			ev, ok, err := events.GetTx(tx, all[42].ID)
			if !ok || err != nil || ev.ID != all[42].ID {
				t.Fatalf("GetTx = %v %v", ok, err)
			}
			evs, err := events.ScanAfter(tx, all[9997].ID, 10)
			if err != nil || len(evs) != 2 {
				t.Fatalf("ScanAfter = %d %v", len(evs), err)
			}
			return nil
		})
	})
}

func TestLog_Reopen(t *testing.T) {
	l, path := openLog(t, events.Options{})
	evs := mustAppend(t, l, reservation("acc_a", "one"), reservation("acc_a", "two"))
	l.Close()
	// A clock that went back must not break id order after reopening.
	l2 := mustOpen(t, path, events.Options{Now: func() time.Time { return time.Unix(0, 0) }})
	more := mustAppend(t, l2, reservation("acc_a", "three"))
	if more[0].ID.Compare(evs[1].ID) <= 0 {
		t.Fatalf("id %s after reopen not after %s", more[0].ID, evs[1].ID)
	}
	if more[0].Prev == ([32]byte{}) {
		t.Fatal("chain restarted after reopen")
	}
	if h, err := l2.Verify(nil); err != nil || h.Count != 3 {
		t.Fatalf("verify %+v %v", h, err)
	}
}
