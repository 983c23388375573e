package projections

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
)

// fakeClock is the writer's clock, moved by the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// The heads of capturedRequest's exchange as HTTP/1.1 text:
// "POST /webhook?x=1 HTTP/1.1\r\n" (28), "Host: hooks.localhost\r\n" (23),
// "Stripe-Signature: t=1,v1=abc\r\n" (30), "\r\n"; "HTTP/1.1 200 OK\r\n\r\n".
const hooksHeadIn, hooksHeadOut = 28 + 23 + 30 + 2, 17 + 2

// TestBandwidthCountsTheWireFromTheRulesMonth: the rule recorded at start
// applies from the next month; the month under way and the closed ones
// keep counting bodies (a closed statement renders byte for byte as
// before), later months count heads and bodies and show bodies beside,
// the plan's bandwidth is held against the wire count, and a rebuild
// gives the same.
func TestBandwidthCountsTheWireFromTheRulesMonth(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)}
	l, _ := logtest.Open(t, events.Options{Applier: New(), Now: clock.Now})
	if err := Init(l.DB()); err != nil {
		t.Fatal(err)
	}
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanFree)
	traffic := func(at time.Time, n int) {
		for i := 0; i < n; i++ {
			if _, err := l.Append(context.Background(), captured(a, "hooks", at.Add(time.Duration(i)*time.Minute), 100, 1000)); err != nil {
				t.Fatal(err)
			}
		}
	}
	nov, dec, jan := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	traffic(nov.AddDate(0, 0, 14), 10)
	statement := func(month, now time.Time) (Statement, []byte) {
		var st Statement
		mustView(t, l, func(tx *bolt.Tx) (err error) {
			st, err = MonthStatement(tx, a, month, now)
			return err
		})
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		return st, b
	}

	clock.set(dec.AddDate(0, 0, 6)) // the upgrade: December 7th
	_, novBefore := statement(nov, clock.Now())
	evs := MustExec(t, l, AdoptWireRule())
	if len(evs) != 1 || evs[0].Type != events.BillingRuleChanged || evs[0].Account != "" {
		t.Fatalf("rule events %+v", evs)
	}
	var rule events.BillingRuleChangedData
	if err := evs[0].DecodeData(&rule); err != nil || rule != (events.BillingRuleChangedData{Rule: events.RuleWire, From: "2027-01"}) {
		t.Fatalf("rule %+v %v", rule, err)
	}
	if again := MustExec(t, l, AdoptWireRule()); len(again) != 0 {
		t.Fatalf("the rule was recorded twice: %+v", again)
	}
	traffic(dec.AddDate(0, 0, 6), 2)
	clock.set(jan.AddDate(0, 0, 19))
	traffic(jan.AddDate(0, 0, 9), 3)

	if _, novAfter := statement(nov, clock.Now()); string(novAfter) != string(novBefore) {
		t.Fatalf("closed November changed\nbefore %s\n after %s", novBefore, novAfter)
	}
	if st, b := statement(dec, clock.Now()); st.BytesIn != 200 || st.BytesOut != 2000 || st.BodyBytesIn != nil || st.BandwidthRule != "" {
		t.Fatalf("December (the upgrade's month) counts bodies only: %s", b)
	}
	check := func(t *testing.T) {
		t.Helper()
		st, b := statement(jan, clock.Now())
		if st.BandwidthRule != events.RuleWire || st.BytesIn != 3*(100+hooksHeadIn) || st.BytesOut != 3*(1000+hooksHeadOut) ||
			st.BytesTotal != st.BytesIn+st.BytesOut || st.BodyBytesIn == nil || *st.BodyBytesIn != 300 || *st.BodyBytesOut != 3000 {
			t.Fatalf("January counts the wire: %s", b)
		}
		mustView(t, l, func(tx *bolt.Tx) error {
			u, err := Usage(tx, a, clock.Now())
			if err != nil || u.BandwidthBytes != st.BytesTotal || u.Bandwidth.BodyBytesIn != 300 || u.Bandwidth.Rule != events.RuleWire {
				t.Fatalf("usage %+v %v", u, err)
			}
			days, err := UsageDays(tx, a, jan.AddDate(0, 0, 9), jan.AddDate(0, 0, 9), clock.Now())
			if err != nil || days[0].BytesIn != st.BytesIn {
				t.Fatalf("history %+v %v", days, err)
			}
			return nil
		})
	}
	check(t)
	t.Run("Rebuild", func(t *testing.T) {
		live := fingerprint(t, l.DB())
		if _, err := Rebuild(l.DB(), nil); err != nil {
			t.Fatal(err)
		}
		if fingerprint(t, l.DB()) != live {
			t.Fatal("rebuilt projections differ from the live ones")
		}
		check(t)
		if _, novRebuilt := statement(nov, clock.Now()); string(novRebuilt) != string(novBefore) {
			t.Fatalf("closed November changed by rebuild: %s", novRebuilt)
		}
	})
}

// TestNewServerCountsTheWireAtOnce: a log without traffic has no month
// to keep, so the rule starts with the month under way.
func TestNewServerCountsTheWireAtOnce(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)}
	l, _ := logtest.Open(t, events.Options{Applier: New(), Now: clock.Now})
	if err := Init(l.DB()); err != nil {
		t.Fatal(err)
	}
	MustAccount(t, l, "a@example.com", domain.PlanFree)
	MustExec(t, l, AdoptWireRule())
	mustView(t, l, func(tx *bolt.Tx) error {
		if got := WireFrom(tx); got != "2026-12" {
			t.Fatalf("wire rule from %q", got)
		}
		return nil
	})
}
