package projections

import (
	"context"
	"testing"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

func mustAccess(tb testing.TB, db *bolt.DB, sub string) domain.AccessRules {
	tb.Helper()
	r, err := View(db, func(tx *bolt.Tx) (domain.AccessRules, error) { return ReservationAccess(tx, sub) })
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// TestSetReservationAccess: the rules outlive any agent (they are the
// reservation's), each set replaces the last, an empty set clears them, a
// release drops them, and only the reservation's holder may set them.
func TestSetReservationAccess(t *testing.T) {
	l := MustOpenLog(t)
	acc, _ := MustAccount(t, l, "ada@example.com", "pro")
	other, _ := MustAccount(t, l, "bob@example.com", "pro")
	MustExec(t, l, Reserve(acc, "hooks"))
	rules := domain.AccessRules{AllowCIDR: []string{"10.0.0.0/8"}, BasicAuth: []domain.AccessCredential{{User: "ada", Hash: "$argon2id$x"}}}
	t.Run("OK", func(t *testing.T) {
		MustExec(t, l, SetReservationAccess(acc, "hooks", rules))
		if got := mustAccess(t, l.DB(), "hooks"); len(got.AllowCIDR) != 1 || got.BasicAuth[0].User != "ada" {
			t.Fatalf("rules %+v", got)
		}
		MustExec(t, l, SetReservationAccess(acc, "hooks", domain.AccessRules{DenyCIDR: []string{"192.0.2.1/32"}}))
		if got := mustAccess(t, l.DB(), "hooks"); len(got.AllowCIDR) != 0 || len(got.DenyCIDR) != 1 || len(got.BasicAuth) != 0 {
			t.Fatalf("a set did not replace the rules: %+v", got)
		}
		MustExec(t, l, SetReservationAccess(acc, "hooks", domain.AccessRules{}))
		if got := mustAccess(t, l.DB(), "hooks"); !got.Empty() {
			t.Fatalf("an empty set left %+v", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, sub := range []string{"hooks", "nobody"} {
			_, err := l.Execute(context.Background(), SetReservationAccess(other, sub, rules))
			if domain.ErrorCode(err) != domain.CodeNotFound {
				t.Fatalf("%s by another account: %v", sub, err)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := l.Execute(context.Background(), SetReservationAccess(acc, "hooks", domain.AccessRules{DenyCIDR: make([]string, domain.MaxAccessRules+1)}))
		if domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("too many prefixes: %v", err)
		}
	})
	t.Run("ReleaseDrops", func(t *testing.T) {
		MustExec(t, l, SetReservationAccess(acc, "hooks", rules))
		MustExec(t, l, Release(acc, "hooks"))
		MustExec(t, l, Reserve(other, "hooks"))
		if got := mustAccess(t, l.DB(), "hooks"); !got.Empty() {
			t.Fatalf("the next holder inherited %+v", got)
		}
	})
}
