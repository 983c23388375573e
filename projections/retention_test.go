package projections

import (
	"context"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
)

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func TestSweepBodies(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)}
	l, _ := logtest.Open(t, events.Options{Applier: New(), Now: clock.Now})
	defer l.Close()
	free, _ := MustAccount(t, l, "free@example.com", domain.PlanFree) // 14 days
	pro, _ := MustAccount(t, l, "pro@example.com", domain.PlanPro)    // 90 days
	ctx := context.Background()

	// One request per account per day for 30 days, each with two bodies.
	var freeIDs, proIDs []events.Event
	start := clock.Now()
	for d := 0; d < 30; d++ {
		clock.Set(start.AddDate(0, 0, d))
		evs, err := l.Append(ctx,
			events.Draft{Type: events.RequestCaptured, Account: free, Data: domain.CapturedRequest{Tunnel: "t", Kind: domain.KindHTTP},
				Bodies: [][]byte{[]byte("request body"), []byte("response body")}},
			events.Draft{Type: events.RequestCaptured, Account: pro, Data: domain.CapturedRequest{Tunnel: "t", Kind: domain.KindHTTP},
				Bodies: [][]byte{[]byte("request body"), []byte("response body")}})
		if err != nil {
			t.Fatal(err)
		}
		freeIDs, proIDs = append(freeIDs, evs[0]), append(proIDs, evs[1])
	}
	// Now is day 29 + 12h; free keeps 14 days: days 0..15 are older than the cutoff.
	now := start.AddDate(0, 0, 29).Add(12 * time.Hour)
	clock.Set(now)
	n, err := SweepBodies(ctx, l, now, 4, 0) // small batches: several transactions
	if err != nil {
		t.Fatal(err)
	}
	if n != 16 {
		t.Fatalf("pruned %d requests, want 16", n)
	}
	for i, ev := range freeIDs {
		_, ok, err := l.Body(ev.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if want := i >= 16; ok != want {
			t.Errorf("free day %d: body present %v, want %v", i, ok, want)
		}
		mustView(t, l, func(tx *bolt.Tx) error {
			at, pruned, err := BodiesPrunedAt(tx, free, ev.ID)
			if pruned != (i < 16) || err != nil || pruned && !at.Equal(now) {
				t.Errorf("free day %d: pruned %v at %v (%v)", i, pruned, at, err)
			}
			return nil
		})
	}
	for i, ev := range proIDs {
		if _, ok, _ := l.Body(ev.ID, 0); !ok {
			t.Errorf("pro day %d: body pruned within 90 days", i)
		}
	}
	// Idempotent, the chain still verifies, and rebuild still equals live.
	if again, err := SweepBodies(ctx, l, now, 4, 0); err != nil || again != 0 {
		t.Fatalf("second sweep pruned %d (%v)", again, err)
	}
	if _, err := l.Verify(nil); err != nil {
		t.Fatalf("verify after pruning: %v", err)
	}
	live := fingerprint(t, l.DB())
	if _, err := Rebuild(l.DB(), nil); err != nil {
		t.Fatal(err)
	}
	if fingerprint(t, l.DB()) != live {
		t.Fatal("rebuild after pruning differs")
	}
	var pruneEvents int
	_ = l.ReadFrom([16]byte{}, func(ev events.Event) error {
		if ev.Type == events.BodiesPruned {
			pruneEvents++
			var d events.BodiesPrunedData
			_ = ev.DecodeData(&d)
			if ev.Account != free || d.Count == 0 || d.Bytes == 0 {
				t.Errorf("bodies.pruned %+v on %s", d, ev.Account)
			}
		}
		return nil
	})
	if pruneEvents != 4 {
		t.Fatalf("%d bodies.pruned events, want 4 (16 requests in batches of 4)", pruneEvents)
	}
	t.Run("OperatorWindow", func(t *testing.T) {
		// serve --retain-events 20: pro's 90 days are cut to 20 (days 0..9
		// are older), free's 14 stay the shorter; no event is deleted.
		head, _ := l.Head()
		n, err := SweepBodies(ctx, l, now, 100, 20)
		if err != nil || n != 10 {
			t.Fatalf("window sweep pruned %d (%v), want 10", n, err)
		}
		for i, ev := range proIDs {
			if _, ok, _ := l.Body(ev.ID, 0); ok != (i >= 10) {
				t.Errorf("pro day %d: body present %v", i, ok)
			}
		}
		after, err := l.Verify(nil)
		if err != nil || after.Count != head.Count+1 {
			t.Fatalf("after the window sweep: %d events (%v), want %d", after.Count, err, head.Count+1)
		}
	})
}
