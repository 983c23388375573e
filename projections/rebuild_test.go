package projections

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// randomWorkload appends at least n events of every type through the real
// commands, in a random interleaving, and returns the count per type.
func randomWorkload(t *testing.T, l *events.Log, n int, seed uint64) map[events.Type]int {
	t.Helper()
	rng := mrand.New(mrand.NewPCG(seed, seed))
	ctx := context.Background()
	var accounts []string
	for i := 0; i < 8; i++ {
		plan := domain.PlanPro
		if i%2 == 0 {
			plan = domain.PlanFree
		}
		acc, _ := MustAccount(t, l, fmt.Sprintf("user%d@example.com", i), plan)
		accounts = append(accounts, acc)
	}
	base := time.Date(2026, 10, 30, 22, 0, 0, 0, time.UTC)
	var openTunnels []events.TunnelOpenedData
	var openTunnelAcc []string
	for i := 0; i < n; i++ {
		if i == n/2 { // the upgrade: heads count from the next month on
			if _, err := l.Execute(ctx, AdoptWireRule()); err != nil {
				t.Fatal(err)
			}
		}
		acc := accounts[rng.IntN(len(accounts))]
		var cmd events.Command
		switch r := rng.IntN(100); {
		case r < 60: // captured requests, in batches like the edge appends them
			tunnel := fmt.Sprintf("tun-%d", rng.IntN(5))
			drafts := make([]events.Draft, 1+rng.IntN(4))
			for j := range drafts {
				at := base.Add(time.Duration(i) * time.Minute)
				cr := variedCapture(rng, capturedRequest(tunnel, rng.Int64N(5000), rng.Int64N(50000)))
				bodies := [][]byte{[]byte("req body"), []byte("resp body")}
				if rng.IntN(4) == 0 {
					// As version 1 was written: the domain value itself.
					drafts[j] = events.Draft{Type: events.RequestCaptured, Account: acc, At: at, Data: cr, Bodies: bodies}
				} else {
					drafts[j] = events.CapturedDraft(acc, at, cr, bodies, nil)
				}
			}
			if _, err := l.Append(ctx, drafts...); err != nil {
				t.Fatal(err)
			}
			continue
		case r < 67:
			sub := fmt.Sprintf("name-%d", rng.IntN(40))
			port := 20000 + rng.IntN(10)
			switch rng.IntN(6) {
			case 0:
				cmd = ReservePort(acc, port, 20000, 20009)
			case 1:
				cmd = ReleasePort(acc, port)
			case 2, 3:
				cmd = Reserve(acc, sub)
			case 4: // access.go: rules, or none (a clear)
				cmd = SetReservationAccess(acc, sub, domain.AccessRules{AllowCIDR: []string{"10.0.0.0/8"}[:rng.IntN(2)]})
			default:
				cmd = Release(acc, sub)
			}
		case r < 75:
			evs, err := l.Execute(ctx, openHTTP(acc, ""))
			if err == nil {
				d, _ := TunnelFromEvents(evs)
				openTunnels = append(openTunnels, d)
				openTunnelAcc = append(openTunnelAcc, acc)
			}
			continue
		case r < 83:
			if len(openTunnels) == 0 {
				continue
			}
			k := rng.IntN(len(openTunnels))
			cmd = CloseTunnel(openTunnelAcc[k], openTunnels[k].TunnelID, domain.CloseAgentGone)
			openTunnels = append(openTunnels[:k], openTunnels[k+1:]...)
			openTunnelAcc = append(openTunnelAcc[:k], openTunnelAcc[k+1:]...)
		case r < 88:
			secret, _ := domain.NewKeySecret(rand.Reader)
			evs, err := l.Execute(ctx, CreateKey(acc, domain.HashKeySecret(secret), domain.KeyShownPrefix(secret), "k"))
			if err == nil && rng.IntN(2) == 0 {
				cmd = RevokeKey(acc, KeyIDFromEvents(evs))
			}
		case r < 94:
			name := fmt.Sprintf("d%d.example.org", rng.IntN(20))
			evs, err := l.Execute(ctx, AddDomain(acc, name, "tok", "localhost"))
			if err == nil {
				id := DomainIDFromEvents(evs)
				_, _ = l.Execute(ctx, RecordDomainCheck(acc, id, rng.IntN(2) == 0, "no TXT record"))
				if rng.IntN(3) == 0 {
					cmd = RemoveDomain(acc, id)
				}
			}
		case r < 95:
			plan := domain.PlanNames()[rng.IntN(2)]
			cmd = ChangePlan(acc, plan)
		case r < 97:
			signinWorkload(t, l, rng, acc)
			webhookWorkload(t, l, rng, acc) // webhooks_test.go
			continue
		default:
			_, err := l.Append(ctx, events.Draft{Type: events.BodiesPruned, Account: acc,
				Data: events.BodiesPrunedData{From: "a", To: "b", Count: 1, Bytes: 10}},
				events.Draft{Type: events.TunnelAccessSet, Account: acc, // payloads_access.go: no projection but the audit index
					Data: events.TunnelAccessSetData{TunnelID: "tun_1", DenyCIDR: []string{"10.0.0.0/8"}}})
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		if cmd != nil {
			_, _ = l.Execute(ctx, cmd) // domain errors (conflict, quota…) are part of the workload
		}
	}
	counts := map[events.Type]int{}
	if err := l.ReadFrom([16]byte{}, func(ev events.Event) error { counts[ev.Type]++; return nil }); err != nil {
		t.Fatal(err)
	}
	return counts
}

// variedCapture fills the fields the edge varies, with values JSON does not
// carry verbatim (invalid UTF-8, HTML characters, long fractions), so live
// appends (which hand projections the typed payload) and rebuild (which
// decodes it) must still agree.
func variedCapture(rng *mrand.Rand, r domain.CapturedRequest) domain.CapturedRequest {
	agents := []string{"curl/8.5", "Stripe/1.0 (+https://stripe.com/docs/webhooks)", "bad\xff\xfeagent", "<script>&amp;", ""}
	r.UserAgent = agents[rng.IntN(len(agents))]
	r.Path = []string{"/", "/webhook?x=1&y=<2>", "/caf\xe9", "/ü/ñ"}[rng.IntN(4)]
	r.TTFBMs, r.DurationMs = rng.Float64()*10, rng.Float64()*1000
	r.Status = []int{200, 404, 502, 429, 0}[rng.IntN(5)]
	if r.Status == 502 {
		r.Error = domain.CloseAgentGone
	}
	if rng.IntN(10) == 0 {
		r.ReplayOf = "01JREPLAYEDREQUEST00000000"
	}
	if rng.IntN(10) == 0 {
		r.Error, r.Denied = "denied", "basic_auth" // access rules
	}
	r.RespBody = domain.BodyInfo{Size: r.BytesOut, Stored: min(r.BytesOut, 1024), SHA256: "ab", Truncated: r.BytesOut > 1024}
	if rng.IntN(3) == 0 {
		r.ReqHeaders = map[string][]string{"Authorization": {"Bearer s\xff"}, "X-N\xe9": {"v"}}
	}
	return r
}

func TestRebuild_EqualsLive(t *testing.T) {
	l := MustOpenLog(t)
	counts := randomWorkload(t, l, 8000, 42)
	total := 0
	for _, typ := range events.Types() {
		if counts[typ] == 0 {
			t.Errorf("workload has no %s event", typ)
		}
		total += counts[typ]
	}
	if total < 10_000 {
		t.Fatalf("workload has %d events, want ≥ 10000", total)
	}
	live := fingerprint(t, l.DB())
	var calls int
	n, err := Rebuild(l.DB(), func(done, all uint64) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if n != uint64(total) || calls == 0 {
		t.Fatalf("rebuild applied %d events with %d progress calls, want %d", n, calls, total)
	}
	if rebuilt := fingerprint(t, l.DB()); rebuilt != live {
		t.Fatal("rebuilt projections differ from the live ones")
	}
	// A second rebuild is idempotent too.
	if _, err := Rebuild(l.DB(), nil); err != nil {
		t.Fatal(err)
	}
	if again := fingerprint(t, l.DB()); again != live {
		t.Fatal("second rebuild differs")
	}
}

func TestEnsureCurrent(t *testing.T) {
	l := MustOpenLog(t)
	randomWorkload(t, l, 500, 7)
	live := fingerprint(t, l.DB())

	t.Run("OK", func(t *testing.T) {
		n, err := EnsureCurrent(l.DB(), nil)
		if err != nil || n != 0 {
			t.Fatalf("current projections: applied %d (err %v), want 0", n, err)
		}
	})
	t.Run("DroppedBucket", func(t *testing.T) {
		// A projection added by a newer binary: its bucket is missing.
		if err := l.DB().Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bUsageDay) }); err != nil {
			t.Fatal(err)
		}
		n, err := EnsureCurrent(l.DB(), nil)
		if err != nil || n == 0 {
			t.Fatalf("applied %d (err %v), want a rebuild", n, err)
		}
		if got := fingerprint(t, l.DB()); got != live {
			t.Fatal("projections after EnsureCurrent differ from live")
		}
	})
}
