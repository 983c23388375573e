package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

func TestUsage_Ops(t *testing.T) {
	ctx := context.Background()
	l := mustOpsLog(t)
	a, _ := mustOpsAccount(t, l, "a@example.com", domain.PlanFree)
	p, _ := mustOpsAccount(t, l, "p@example.com", domain.PlanPro)
	now := time.Now().UTC()
	day := func(d int) time.Time { return now.AddDate(0, 0, d) }
	for _, at := range []time.Time{day(0), day(0), day(-2)} {
		if _, err := l.Append(ctx, events.Draft{Type: events.RequestCaptured, Account: a, At: at, Data: domain.CapturedRequest{
			Tunnel: "app", Kind: domain.KindHTTP, Method: "GET", Path: "/", Status: 200, BytesIn: 100, BytesOut: 323}}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("NowShape", func(t *testing.T) {
		u, err := currentUsage(l.DB(), a, now)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(u)
		want := `{"plan":"free","limits":{"domains":2,"tunnels":10,"bandwidthBytes":53687091200},"used":{"domains":0,"tunnels":0,"bandwidthBytes":1269},` +
			`"bandwidth":{"rule":"body","bytesIn":300,"bytesOut":969,"bodyBytesIn":300,"bodyBytesOut":969}}`
		if now.Day() < 3 {
			// day(-2) fell in the previous month.
			want = `{"plan":"free","limits":{"domains":2,"tunnels":10,"bandwidthBytes":53687091200},"used":{"domains":0,"tunnels":0,"bandwidthBytes":846},` +
				`"bandwidth":{"rule":"body","bytesIn":200,"bytesOut":646,"bodyBytesIn":200,"bodyBytesOut":646}}`
		}
		if string(b) != want {
			t.Fatalf("usage = %s\nwant    %s", b, want)
		}
	})
	t.Run("UnlimitedIsNull", func(t *testing.T) {
		u, err := currentUsage(l.DB(), p, now)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(u)
		if want := `{"plan":"pro","limits":{"domains":null,"tunnels":null,"bandwidthBytes":null},"used":{"domains":0,"tunnels":0,"bandwidthBytes":0},` +
			`"bandwidth":{"rule":"body","bytesIn":0,"bytesOut":0,"bodyBytesIn":0,"bodyBytesOut":0}}`; string(b) != want {
			t.Fatalf("usage = %s\nwant    %s", b, want)
		}
	})
	t.Run("HistoryZerosForEmptyDays", func(t *testing.T) {
		h, err := usageHistory(l.DB(), a, day(-3).Format(dateLayout), day(0).Format(dateLayout), "", now)
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{0, 1, 0, 2}
		if len(h.Days) != 4 {
			t.Fatalf("days = %+v", h.Days)
		}
		for i, d := range h.Days {
			if d.Date != day(i-3).Format(dateLayout) || d.Requests != want[i] ||
				d.BandwidthBytes != (bandwidthJSON{In: 100 * want[i], Out: 323 * want[i], Total: 423 * want[i]}) {
				t.Errorf("day %d = %+v, want %d requests", i, d, want[i])
			}
		}
	})
	t.Run("HistoryDefaultIs30Days", func(t *testing.T) {
		h, err := usageHistory(l.DB(), a, "", "", "", now)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Days) != 30 || h.Days[29].Date != now.Format(dateLayout) || h.Days[29].Requests != 2 {
			t.Fatalf("default history: %d days, last %+v", len(h.Days), h.Days[len(h.Days)-1])
		}
	})
	t.Run("ErrBadRange", func(t *testing.T) {
		for _, c := range [][2]string{
			{"2026-13-01", "2026-12-01"}, {"yesterday", ""}, {"", "2026-02-30"},
			{"2026-05-02", "2026-05-01"}, {"2025-01-01", "2026-01-02"},
		} {
			_, err := usageHistory(l.DB(), a, c[0], c[1], "", now)
			wantCode(t, err, domain.CodeInvalid)
		}
		if _, err := usageHistory(l.DB(), a, "2025-01-01", "2026-01-01", "", now); err != nil {
			t.Fatalf("366 days: %v", err)
		}
	})
	t.Run("ErrNoAccount", func(t *testing.T) {
		_, err := usageHistory(l.DB(), "acc_01ARZ3NDEKTSV4RRFFQ69G5FAV", "", "", "", now)
		wantCode(t, err, domain.CodeNotFound)
	})
}

func TestUsage_TunnelSeconds(t *testing.T) {
	ctx := context.Background()
	var clock atomic.Pointer[time.Time]
	set := func(t time.Time) { clock.Store(&t) }
	set(time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC))
	l, _ := logtest.Open(t, events.Options{Applier: projections.New(), Now: func() time.Time { return *clock.Load() }})
	defer l.Close()
	if err := projections.Init(l.DB()); err != nil {
		t.Fatal(err)
	}
	acc, _ := mustOpsAccount(t, l, "a@example.com", domain.PlanFree)
	evs, err := l.Execute(ctx, projections.OpenTunnelCmd(projections.OpenTunnel{AccountID: acc, SessionID: "ses_1",
		Proto: domain.ProtoHTTP, Subdomain: "my-app", RemoteAddr: "127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	opened, err := projections.TunnelFromEvents(evs)
	if err != nil {
		t.Fatal(err)
	}
	// Open 23:00 on the 1st to 00:30 on the 2nd: 3600 s, then 1800 s.
	set(time.Date(2026, 3, 2, 0, 30, 0, 0, time.UTC))
	if _, err := l.Execute(ctx, projections.CloseTunnel(acc, opened.TunnelID, domain.CloseReleased)); err != nil {
		t.Fatal(err)
	}
	h, err := usageHistory(l.DB(), acc, "2026-02-28", "2026-03-03", "", *clock.Load())
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, d := range h.Days {
		got = append(got, d.TunnelSeconds)
	}
	if fmt.Sprint(got) != "[0 3600 1800 0]" {
		t.Fatalf("tunnel seconds per day %v, want [0 3600 1800 0]", got)
	}
}
