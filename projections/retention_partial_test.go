package projections

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
)

// TestPruneThatFailsHalfWayRecordsWhatItPruned: a prune whose deletions
// fail part way (here: a nested bucket among the third request's bodies,
// which bbolt refuses to delete as a key) still commits a bodies.pruned
// event for every body it removed; no body disappears without one.
func TestPruneThatFailsHalfWayRecordsWhatItPruned(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)}
	l, _ := logtest.Open(t, events.Options{Applier: New(), Now: clock.Now})
	defer l.Close()
	acc, _ := MustAccount(t, l, "free@example.com", domain.PlanFree)
	ctx := context.Background()
	var reqs []events.Event
	start := clock.Now()
	for d := 0; d < 5; d++ {
		clock.Set(start.AddDate(0, 0, d))
		evs, err := l.Append(ctx, events.Draft{Type: events.RequestCaptured, Account: acc,
			Data:   domain.CapturedRequest{Tunnel: "t", Kind: domain.KindHTTP},
			Bodies: [][]byte{[]byte("request body"), []byte("response body")}})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, evs[0])
	}
	// The third request's bodies hold a key that cannot be deleted.
	if err := l.DB().Update(func(tx *bolt.Tx) error {
		_, err := tx.Bucket([]byte("bodies")).CreateBucket(append(reqs[2].ID[:], 0xff))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	now := start.AddDate(0, 0, 60)
	clock.Set(now)
	_, err := SweepBodies(ctx, l, now, 100, 0)
	if err == nil {
		t.Fatal("the sweep reported no error")
	}

	// Every request whose bodies are gone is covered by a bodies.pruned event.
	pruned := 0
	for i, ev := range reqs {
		_, present, err := l.Body(ev.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if present {
			continue
		}
		pruned++
		mustView(t, l, func(tx *bolt.Tx) error {
			if _, recorded, err := BodiesPrunedAt(tx, acc, ev.ID); err != nil || !recorded {
				t.Errorf("request %d: bodies gone, but no bodies.pruned event covers it (%v)", i, err)
			}
			return nil
		})
	}
	if pruned < 2 {
		t.Fatalf("%d requests pruned before the failure, want the first two at least", pruned)
	}
	// And the events say so in the log itself, with the bytes they freed.
	var recorded, freed int64
	if err := l.ReadFrom(ulid.ULID{}, func(ev events.Event) error {
		if ev.Type == events.BodiesPruned {
			var d events.BodiesPrunedData
			if err := ev.DecodeData(&d); err != nil {
				return err
			}
			recorded += int64(d.Count)
			freed += d.Bytes
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if recorded != int64(pruned) || freed == 0 {
		t.Fatalf("events record %d requests (%d bytes), %d were pruned", recorded, freed, pruned)
	}
}
