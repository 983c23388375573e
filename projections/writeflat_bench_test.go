package projections

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/events"
)

// seedAccountItems gives the account n reservations, n custom domains and
// n live HTTP tunnels, appended as drafts in big batches (what the commands
// would record, without deciding each one).
func seedAccountItems(b *testing.B, l *events.Log, acc string, n int) {
	b.Helper()
	const batch = 4096
	ds := make([]events.Draft, 0, batch)
	flush := func() {
		if len(ds) == 0 {
			return
		}
		if _, err := l.Append(context.Background(), ds...); err != nil {
			b.Fatal(err)
		}
		ds = ds[:0]
	}
	for i := 0; i < n; i++ {
		sub := fmt.Sprintf("seed%07d", i)
		ds = append(ds,
			events.Draft{Type: events.ReservationCreated, Account: acc, Data: events.ReservationData{Subdomain: sub}},
			events.Draft{Type: events.DomainAdded, Account: acc, Data: events.DomainAddedData{
				DomainID: "dom_" + ulid.Make().String(), Name: sub + ".example.org", Token: "t"}},
			events.Draft{Type: events.TunnelOpened, Account: acc, Data: events.TunnelOpenedData{
				TunnelID: "tun_" + ulid.Make().String(), SessionID: "ses_1", Proto: domain.ProtoHTTP,
				Subdomain: "live" + sub, URL: "http://live" + sub + ".localhost", RemoteAddr: "127.0.0.1"}})
		if len(ds) >= batch-3 {
			flush()
		}
	}
	flush()
}

// BenchmarkWriteFlat: every command that checks a plan limit costs the same
// with 1, 1,000 or 100,000 items of the account (issue 15, item 5). Each
// command is one Execute (decide, append, apply, fsync); CreateKey, which
// counts nothing, is the reference. Items are reservations, domains and live
// tunnels, n of each.
func BenchmarkWriteFlat(b *testing.B) {
	for _, n := range []int{1, 1_000, 100_000} {
		l := MustOpenLog(b)
		acc, _ := MustAccount(b, l, "big@example.com", domain.PlanPro)
		seedAccountItems(b, l, acc, n)
		i := 0
		for _, c := range []struct {
			name string
			cmd  func() events.Command
			undo func() events.Command
		}{
			{"CreateKey", func() events.Command {
				s, _ := domain.NewKeySecret(rand.Reader)
				return CreateKey(acc, domain.HashKeySecret(s), domain.KeyShownPrefix(s), "bench")
			}, nil},
			{"Reserve", func() events.Command { return Reserve(acc, fmt.Sprintf("bench%07d", i)) }, nil},
			// Pro caps ports at 20: each reservation is released again.
			{"ReservePort", func() events.Command { return ReservePort(acc, 20000, 20000, 20010) },
				func() events.Command { return ReleasePort(acc, 20000) }},
			{"AddDomain", func() events.Command {
				return AddDomain(acc, fmt.Sprintf("bench%07d.example.org", i), "t", "localhost")
			}, nil},
			{"OpenTunnel", func() events.Command { return openHTTP(acc, "") }, nil},
		} {
			b.Run(fmt.Sprintf("items=%d/%s", n, c.name), func(b *testing.B) {
				for b.Loop() {
					i++
					MustExec(b, l, c.cmd())
					if c.undo != nil {
						b.StopTimer()
						MustExec(b, l, c.undo())
						b.StartTimer()
					}
				}
			})
		}
	}
}
