package projections

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// countPrefix counts keys under "prefix 0": what the commands did before
// the counts, kept here to check the counts against the indexes.
func countPrefix(b *bolt.Bucket, prefix []byte) int64 {
	c := b.Cursor()
	p := append(append([]byte(nil), prefix...), 0)
	var n int64
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		n++
	}
	return n
}

// TestAccountCountsEqualTheirIndexes: the quota checks read the counts the
// appliers keep, so after any mix of creates and removes each count equals
// the entries of its index, live and after rebuild.
func TestAccountCountsEqualTheirIndexes(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanPro)
	b, _ := MustAccount(t, l, "b@example.com", domain.PlanPro)
	for i := 0; i < 5; i++ {
		MustExec(t, l, Reserve(a, fmt.Sprintf("sub%d", i)))
		MustExec(t, l, AddDomain(a, fmt.Sprintf("d%d.example.org", i), "tok", "localhost"))
		MustExec(t, l, openHTTP(a, ""))
	}
	MustExec(t, l, Reserve(b, "other"))
	MustExec(t, l, ReservePort(a, 0, 20000, 20010))
	MustExec(t, l, ReservePort(a, 0, 20000, 20010))
	MustExec(t, l, Release(a, "sub1"))
	MustExec(t, l, ReleasePort(a, 20000))
	var tunnelID, domainID string
	mustView(t, l, func(tx *bolt.Tx) error {
		live, err := LiveTunnels(tx, a)
		tunnelID = live[0].ID
		ds, err2 := Domains(tx, a, "", 1)
		domainID = ds[0].ID
		return errors.Join(err, err2)
	})
	MustExec(t, l, CloseTunnel(a, tunnelID, domain.CloseReleased))
	MustExec(t, l, RemoveDomain(a, domainID))

	check := func(when string) {
		mustView(t, l, func(tx *bolt.Tx) error {
			for _, c := range []struct {
				kind string
				want int64
			}{
				{countReservedSubs, 4}, {countReservedPorts, 1}, {countDomains, 4}, {countLiveTunnels, 4}, {countLiveTCP, 0},
			} {
				if got := accountCount(tx, a, c.kind); got != c.want {
					t.Errorf("%s: count %s = %d, want %d", when, c.kind, got, c.want)
				}
			}
			if got, want := accountCount(tx, a, countDomains), countPrefix(tx.Bucket(bDomainsByAcct), []byte(a)); got != want {
				t.Errorf("%s: domains counted %d, indexed %d", when, got, want)
			}
			if got, want := accountCount(tx, a, countLiveTunnels), countPrefix(tx.Bucket(bTunnelsLiveAcct), []byte(a)); got != want {
				t.Errorf("%s: live tunnels counted %d, indexed %d", when, got, want)
			}
			subs, ports := countReservations(tx, a)
			if got, want := subs+ports, countPrefix(tx.Bucket(bReservByAccount), []byte(a)); got != want {
				t.Errorf("%s: reservations counted %d, indexed %d", when, got, want)
			}
			if got := accountCount(tx, b, countReservedSubs); got != 1 {
				t.Errorf("%s: other account's reservations %d, want 1", when, got)
			}
			return nil
		})
	}
	check("live")
	if _, err := Rebuild(l.DB(), nil); err != nil {
		t.Fatal(err)
	}
	check("rebuilt")
}
