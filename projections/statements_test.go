package projections

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// appendAt appends drafts made by a command-like function at a set time.
func appendAt(t *testing.T, l *events.Log, at time.Time, typ events.Type, acc string, data any) []events.Event {
	t.Helper()
	evs, err := l.Append(context.Background(), events.Draft{Type: typ, Account: acc, At: at, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestMonthStatement(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanFree)
	b, _ := MustAccount(t, l, "b@example.com", domain.PlanFree)
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	oct31 := nov.Add(-12 * time.Hour)

	// Traffic: 30 days × 10 requests of 100 in / 1000 out, 3 of them replays;
	// account b's traffic and a's October traffic must not count.
	for d := 0; d < 30; d++ {
		for i := 0; i < 10; i++ {
			c := captured(a, "hooks", nov.AddDate(0, 0, d).Add(time.Duration(i)*time.Minute), 100, 1000)
			if d == 5 && i < 3 {
				p := c.Data.(events.RequestCapturedData)
				p.ReplayOf = "01JREPLAYED0000000000000000"
				c.Data = p
			}
			if _, err := l.Append(context.Background(), c, captured(b, "other", nov.AddDate(0, 0, d), 1, 1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendAt(t, l, oct31, events.RequestCaptured, a, captured(a, "hooks", oct31, 5, 5).Data)

	// Tunnels: t1 Oct 31 12:00 → Nov 1 12:00 (12 h in November); t2 and t3
	// overlap on Nov 10 (peak 2); t4 opens Nov 30 23:00 and is still live.
	open := func(at time.Time, sub string) string {
		evs := appendAt(t, l, at, events.TunnelOpened, a, events.TunnelOpenedData{TunnelID: "tun_" + ulidAt(at), Proto: domain.ProtoHTTP, Subdomain: sub})
		var d events.TunnelOpenedData
		_ = evs[0].DecodeData(&d)
		return d.TunnelID
	}
	closeT := func(at time.Time, id string) {
		appendAt(t, l, at, events.TunnelClosed, a, events.TunnelClosedData{TunnelID: id, Reason: domain.CloseAgentGone})
	}
	t1 := open(oct31, "t-one")
	closeT(nov.Add(12*time.Hour), t1)
	t2 := open(nov.AddDate(0, 0, 9), "t-two")
	t3 := open(nov.AddDate(0, 0, 9).Add(time.Hour), "t-three")
	closeT(nov.AddDate(0, 0, 9).Add(2*time.Hour), t2)
	closeT(nov.AddDate(0, 0, 9).Add(3*time.Hour), t3)
	open(nov.AddDate(0, 0, 29).Add(23*time.Hour), "t-four")

	// Holdings: a reservation from Nov 11 to Nov 21 (10 days), a domain all month.
	appendAt(t, l, nov.AddDate(0, 0, 10), events.ReservationCreated, a, events.ReservationData{Subdomain: "held"})
	appendAt(t, l, nov.AddDate(0, 0, 20), events.ReservationReleased, a, events.ReservationData{Subdomain: "held"})
	domainID := "dom_" + ulidAt(oct31)
	appendAt(t, l, oct31, events.DomainAdded, a, events.DomainAddedData{DomainID: domainID, Name: "x.example.com", Token: "t"})

	dec := nov.AddDate(0, 1, 0)
	want := Statement{AccountID: a, Email: "a@example.com", Plan: "free", Month: "2026-11", Closed: true,
		Requests: 300, BytesIn: 30000, BytesOut: 300000, BytesTotal: 330000,
		TunnelSeconds: 12*3600 + 2*3600 + 2*3600 + 3600, PeakTunnels: 2,
		ReservationDays: 10, DomainDays: 30, Replays: 3}
	statement := func(now time.Time) Statement {
		var st Statement
		mustView(t, l, func(tx *bolt.Tx) (err error) {
			st, err = MonthStatement(tx, a, nov, now)
			return err
		})
		return st
	}
	if got := statement(dec.Add(time.Hour)); got != want {
		t.Fatalf("statement\n got %+v\nwant %+v", got, want)
	}
	t.Run("OpenMonth", func(t *testing.T) {
		// Spans count up to now (the test's traffic is already all appended).
		got := statement(nov.AddDate(0, 0, 15))
		if got.Closed || got.PeakTunnels != 2 || got.ReservationDays != 5 || got.DomainDays != 15 {
			t.Fatalf("mid-month statement %+v", got)
		}
	})
	t.Run("ClosedMonthNeverChanges", func(t *testing.T) {
		before := statement(dec.Add(time.Hour))
		// December: the live tunnel closes, the domain goes, traffic goes on.
		appendAt(t, l, dec.Add(48*time.Hour), events.RequestCaptured, a, captured(a, "hooks", dec, 7, 7).Data)
		var live string
		mustView(t, l, func(tx *bolt.Tx) error {
			tt, _, err := LiveTunnelByHost(tx, "t-four")
			live = tt.ID
			return err
		})
		closeT(dec.Add(72*time.Hour), live)
		appendAt(t, l, dec.Add(72*time.Hour), events.DomainRemoved, a, events.DomainData{DomainID: domainID})
		if after := statement(dec.AddDate(0, 1, 0)); after != before {
			t.Fatalf("closed month changed\nbefore %+v\n after %+v", before, after)
		}
		if _, err := Rebuild(l.DB(), nil); err != nil {
			t.Fatal(err)
		}
		if rebuilt := statement(dec.AddDate(0, 2, 0)); rebuilt != before {
			t.Fatalf("closed month changed by rebuild\nbefore %+v\n after %+v", before, rebuilt)
		}
	})
	t.Run("PerTunnelHistory", func(t *testing.T) {
		mustView(t, l, func(tx *bolt.Tx) error {
			days, err := TunnelUsageDays(tx, a, "hooks", nov, nov.AddDate(0, 0, 1), dec)
			if err != nil || len(days) != 2 || days[0].Requests != 10 || days[0].BytesOut != 10000 {
				t.Fatalf("tunnel days %+v %v", days, err)
			}
			other, err := TunnelUsageDays(tx, a, "t-two", nov.AddDate(0, 0, 9), nov.AddDate(0, 0, 9), dec)
			if err != nil || other[0].TunnelSeconds != 2*3600 || other[0].Requests != 0 {
				t.Fatalf("t-two days %+v %v", other, err)
			}
			return nil
		})
	})
}

func ulidAt(at time.Time) string {
	return ulid.MustNew(ulid.Timestamp(at), rand.Reader).String()
}
