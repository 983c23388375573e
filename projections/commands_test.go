package projections

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

func TestReserve_Race(t *testing.T) {
	l := MustOpenLog(t)
	var accs []string
	for i := 0; i < 100; i++ {
		acc, _ := MustAccount(t, l, fmt.Sprintf("racer%d@example.com", i), domain.PlanFree)
		accs = append(accs, acc)
	}
	var wg sync.WaitGroup
	results := make([]error, 100)
	for i := range accs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = l.Execute(context.Background(), Reserve(accs[i], "stripe-dev"))
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		switch domain.ErrorCode(err) {
		case "":
			wins++
		case domain.CodeConflict:
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d reservations won, want exactly 1", wins)
	}
}

func TestOpenTunnel_ClaimRule(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanFree)
	b, _ := MustAccount(t, l, "b@example.com", domain.PlanFree)
	MustExec(t, l, Reserve(a, "stripe-dev"))
	MustExec(t, l, openHTTP(b, "first-come"))

	tests := []struct {
		name, acc, sub string
		want           domain.Code
	}{
		{"OwnReservation", a, "stripe-dev", ""},
		{"OthersReservation", b, "stripe-dev", domain.CodeConflict},
		{"OthersLiveEphemeral", a, "first-come", domain.CodeConflict},
		{"FreeName", a, "free-name", ""},
		{"Random", a, "", ""},
		{"Invalid", a, "Bad_Name", domain.CodeInvalid},
		{"Reserved", a, "admin", domain.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := l.Execute(context.Background(), openHTTP(tt.acc, tt.sub))
			if got := domain.ErrorCode(err); got != tt.want {
				t.Fatalf("code %q (%v), want %q", got, err, tt.want)
			}
			if err == nil {
				d, _ := TunnelFromEvents(evs)
				if tt.sub != "" && d.Subdomain != tt.sub || domain.ValidateSubdomain(d.Subdomain) != nil {
					t.Fatalf("got subdomain %q", d.Subdomain)
				}
				if d.URL != "http://"+d.Subdomain+".localhost:8080" {
					t.Fatalf("url %q", d.URL)
				}
			}
		})
	}
	t.Run("ErrReserveLiveOfOther", func(t *testing.T) {
		c, _ := MustAccount(t, l, "c@example.com", domain.PlanFree)
		_, err := l.Execute(context.Background(), Reserve(c, "first-come"))
		if domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("got %v", err)
		}
	})
}

func TestOpenTunnel_Quota(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanFree)
	for i := 0; i < 10; i++ {
		MustExec(t, l, openHTTP(a, ""))
	}
	_, err := l.Execute(context.Background(), openHTTP(a, ""))
	if domain.ErrorCode(err) != domain.CodeQuota {
		t.Fatalf("11th tunnel on free: %v", err)
	}
	var e *domain.Error
	if msg := domain.ErrorMessage(err); msg != "the free plan allows 10 tunnels at once" {
		t.Fatalf("message %q (%T %v)", msg, e, err)
	}
	// Closing one frees a slot.
	var id string
	mustView(t, l, func(tx *bolt.Tx) error {
		live, err := LiveTunnels(tx, a)
		id = live[0].ID
		return err
	})
	MustExec(t, l, CloseTunnel(a, id, domain.CloseReleased))
	MustExec(t, l, openHTTP(a, ""))
}

func TestRevokeKey(t *testing.T) {
	l := MustOpenLog(t)
	a, secret := MustAccount(t, l, "a@example.com", domain.PlanFree)
	b, _ := MustAccount(t, l, "b@example.com", domain.PlanFree)
	var first domain.APIKey
	mustView(t, l, func(tx *bolt.Tx) (err error) {
		first, err = KeyByHash(tx, domain.HashKeySecret(secret))
		return err
	})
	t.Run("ErrLastKey", func(t *testing.T) {
		_, err := l.Execute(context.Background(), RevokeKey(a, first.ID))
		if domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrOtherAccount", func(t *testing.T) {
		_, err := l.Execute(context.Background(), RevokeKey(b, first.ID))
		if domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		MustExec(t, l, CreateKey(a, domain.HashKeySecret("ak_other"), "ak_oth", "ci"))
		MustExec(t, l, RevokeKey(a, first.ID))
		mustView(t, l, func(tx *bolt.Tx) error {
			k, err := KeyByHash(tx, domain.HashKeySecret(secret))
			if err != nil || !k.Revoked() {
				t.Fatalf("key after revoke: %+v %v", k, err)
			}
			return nil
		})
	})
}

func TestDomains_VerifiedNameIsExclusive(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanFree)
	b, _ := MustAccount(t, l, "b@example.com", domain.PlanFree)
	da := DomainIDFromEvents(MustExec(t, l, AddDomain(a, "hooks.example.com", "t1", "localhost")))
	db := DomainIDFromEvents(MustExec(t, l, AddDomain(b, "hooks.example.com", "t2", "localhost")))
	MustExec(t, l, RecordDomainCheck(a, da, true, ""))
	if _, err := l.Execute(context.Background(), RecordDomainCheck(b, db, true, "")); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("second verification: %v", err)
	}
	if _, err := l.Execute(context.Background(), AddDomain(b, "hooks.example.com", "t3", "localhost")); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("adding a name verified elsewhere: %v", err)
	}
	if _, err := l.Execute(context.Background(), AddDomain(a, "x.localhost", "t3", "localhost")); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("adding a name under the base domain: %v", err)
	}
	mustView(t, l, func(tx *bolt.Tx) error {
		cd, ok, err := VerifiedDomain(tx, "hooks.example.com")
		if !ok || cd.AccountID != a || err != nil {
			t.Fatalf("verified: %+v %v %v", cd, ok, err)
		}
		return nil
	})
}

func TestRequests_Paging(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanPro)
	b, _ := MustAccount(t, l, "b@example.com", domain.PlanPro)
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	var ids []ulid.ULID
	for i := 0; i < 250; i++ {
		tunnel := "one"
		if i%2 == 1 {
			tunnel = "two"
		}
		evs, err := l.Append(context.Background(), captured(a, tunnel, at, 10, 20), captured(b, "one", at, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, evs[0].ID)
	}
	mustView(t, l, func(tx *bolt.Tx) error {
		var seen []string
		var before ulid.ULID
		for page := 0; ; page++ {
			got, err := Requests(tx, a, "", before, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range got {
				seen = append(seen, r.ID)
			}
			if len(got) < 100 {
				break
			}
			before = ulid.MustParse(got[len(got)-1].ID)
		}
		if len(seen) != 250 {
			t.Fatalf("saw %d requests, want 250", len(seen))
		}
		for i, id := range seen {
			if id != ids[249-i].String() {
				t.Fatalf("position %d: %s, want %s (newest first, no gap)", i, id, ids[249-i])
			}
		}
		two, err := Requests(tx, a, "two", ulid.ULID{}, 100)
		if err != nil || len(two) != 100 || two[0].ID != ids[249].String() || two[0].Tunnel != "two" {
			t.Fatalf("tunnel filter: %d %v", len(two), err)
		}
		if _, err := Requests(tx, b, "", ids[0], 10); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("another account's cursor: %v", err)
		}
		after, err := RequestsAfter(tx, a, "one", ids[100], 1000)
		if err != nil || len(after) != 74 || after[0].ID != ids[102].String() {
			t.Fatalf("after: %d %v", len(after), err)
		}
		full, err := Request(tx, a, ids[3])
		if err != nil || full.ReqHeaders["Stripe-Signature"][0] != "t=1,v1=abc" || full.Path != "/webhook?x=1" {
			t.Fatalf("detail: %+v %v", full, err)
		}
		if _, err := Request(tx, b, ids[3]); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("other account's request: %v", err)
		}
		return nil
	})
}

func TestUsageDays(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanFree)
	day := time.Date(2026, 11, 2, 23, 0, 0, 0, time.UTC)
	if _, err := l.Append(context.Background(), captured(a, "x", day, 100, 900), captured(a, "x", day.Add(2*time.Hour), 1, 2)); err != nil {
		t.Fatal(err)
	}
	// A tunnel open 23:30 → 00:30 counts half an hour on each day.
	_, err := l.Execute(context.Background(), func(tx *events.Tx) ([]events.Draft, error) {
		return []events.Draft{{Type: events.TunnelOpened, Account: a, At: day.Add(30 * time.Minute),
			Data: events.TunnelOpenedData{TunnelID: "tun_" + tx.NewID().String(), Proto: domain.ProtoHTTP, Subdomain: "span"}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var tun string
	mustView(t, l, func(tx *bolt.Tx) error {
		tt, _, err := LiveTunnelByHost(tx, "span")
		tun = tt.ID
		return err
	})
	if _, err := l.Append(context.Background(), events.Draft{Type: events.TunnelClosed, Account: a, At: day.Add(90 * time.Minute),
		Data: events.TunnelClosedData{TunnelID: tun, Reason: domain.CloseAgentGone}}); err != nil {
		t.Fatal(err)
	}
	mustView(t, l, func(tx *bolt.Tx) error {
		days, err := UsageDays(tx, a, day.AddDate(0, 0, -1), day.AddDate(0, 0, 2), day)
		if err != nil {
			t.Fatal(err)
		}
		want := []UsageDay{
			{Date: "2026-11-01"},
			{Date: "2026-11-02", Requests: 1, BytesIn: 100, BytesOut: 900, TunnelSeconds: 1800},
			{Date: "2026-11-03", Requests: 1, BytesIn: 1, BytesOut: 2, TunnelSeconds: 1800},
			{Date: "2026-11-04"},
		}
		if fmt.Sprint(days) != fmt.Sprint(want) {
			t.Fatalf("days\n got %v\nwant %v", days, want)
		}
		u, err := Usage(tx, a, day)
		if err != nil || u.BandwidthBytes != 1003 || u.Plan.Name != "free" || u.Tunnels != 0 {
			t.Fatalf("usage %+v %v", u, err)
		}
		return nil
	})
}
