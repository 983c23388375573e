package projections

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

func TestAccountEvents(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanPro)
	b, _ := MustAccount(t, l, "b@example.com", domain.PlanPro)
	var want []ulid.ULID // a's events, oldest first
	var all []events.Event
	_ = l.ReadFrom(ulid.ULID{}, func(ev events.Event) error { all = append(all, ev); return nil })
	for _, ev := range all {
		if ev.Account == a {
			want = append(want, ev.ID)
		}
	}
	for i := 0; i < 30; i++ {
		var evs []events.Event
		var err error
		switch i % 3 {
		case 0:
			evs, err = l.Append(context.Background(), captured(a, "t", at0(), 1, 1), captured(b, "t", at0(), 1, 1))
		case 1:
			evs, err = l.Execute(context.Background(), Reserve(a, "name-"+itoa3(i)))
			if err == nil {
				_, err = l.Execute(context.Background(), Release(a, "name-"+itoa3(i)))
				evs2, _ := l.ReadBackward(ulid.ULID{}, 1)
				evs = append(evs, evs2...)
			}
		default:
			evs, err = l.Execute(context.Background(), Reserve(b, "other-"+itoa3(i)))
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Account == a {
				want = append(want, ev.ID)
			}
		}
	}
	mustView(t, l, func(tx *bolt.Tx) error {
		var back []ulid.ULID
		AccountEventsBackward(tx, a, "", ulid.ULID{}, func(id ulid.ULID, _ events.Type) bool { back = append(back, id); return true })
		if len(back) != len(want) {
			t.Fatalf("backward: %d ids, want %d", len(back), len(want))
		}
		for i := range back {
			if back[i] != want[len(want)-1-i] {
				t.Fatalf("backward position %d: %s, want %s", i, back[i], want[len(want)-1-i])
			}
		}
		var fwd []ulid.ULID
		AccountEventsForward(tx, a, "", want[3], func(id ulid.ULID, _ events.Type) bool { fwd = append(fwd, id); return len(fwd) < 5 })
		if len(fwd) != 5 || fwd[0] != want[4] || fwd[4] != want[8] {
			t.Fatalf("forward after #3: %v", fwd)
		}
		var reqs, res int
		AccountEventsBackward(tx, a, "request.", ulid.ULID{}, func(_ ulid.ULID, typ events.Type) bool {
			if typ != events.RequestCaptured {
				t.Fatalf("request. prefix gave %s", typ)
			}
			reqs++
			return true
		})
		AccountEventsBackward(tx, a, "reservation.", want[len(want)-1], func(_ ulid.ULID, typ events.Type) bool { res++; return true })
		// The newest of a's events is a release, and before excludes it.
		if reqs != 10 || res != 19 {
			t.Fatalf("%d requests, %d reservation events below the newest; want 10 and 19", reqs, res)
		}
		return nil
	})
}

func itoa3(i int) string { return string(rune('a'+i/10)) + string(rune('a'+i%10)) + "x" }

func at0() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }
