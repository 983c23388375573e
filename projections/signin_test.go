package projections

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
)

const (
	phcA = "$argon2id$v=19$m=65536,t=3,p=4$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"
	phcB = "$argon2id$v=19$m=65536,t=3,p=4$AwMDAwMDAwMDAwMDAwMDAw$BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ"
)

// signinWorkload runs one random sign-in step for rebuild's workload.
func signinWorkload(t *testing.T, l *events.Log, rng *mrand.Rand, acc string) {
	ctx := context.Background()
	tok := fmt.Sprintf("%064x", rng.Uint64())
	_, _ = l.Execute(ctx, SetPassword(acc, phcA))
	_, _ = l.Execute(ctx, CreatePasswordLink(acc, tok, time.Hour))
	if rng.IntN(2) == 0 {
		_, _ = l.Execute(ctx, UsePasswordLink(tok, phcB))
	}
	cur, _ := View(l.DB(), func(tx *bolt.Tx) (string, error) { return AccountPassword(tx, acc) })
	evs, err := l.Execute(ctx, CreateSession(NewSession{AccountID: acc, PasswordHash: cur, IDHash: fmt.Sprintf("%064x", rng.Uint64()),
		IP: "203.0.113.7", UserAgent: "ua", IdleFor: time.Hour, TTL: 24 * time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = l.Execute(ctx, SigninFailed(acc, "203.0.113.8", "ua", "bad_password"))
	if rng.IntN(2) == 0 {
		d, _ := SessionFromEvents(evs)
		_, _ = l.Execute(ctx, RevokeSession(acc, d.SessionID, "signed_out"))
	}
}

func mustSession(t *testing.T, l *events.Log, acc, hash string) string {
	t.Helper()
	cur, err := View(l.DB(), func(tx *bolt.Tx) (string, error) { return AccountPassword(tx, acc) })
	if err != nil {
		t.Fatal(err)
	}
	evs := MustExec(t, l, CreateSession(NewSession{AccountID: acc, PasswordHash: cur, IDHash: hash, IP: "203.0.113.7",
		UserAgent: strings.Repeat("u", 300), IdleFor: 12 * time.Hour, TTL: 7 * 24 * time.Hour}))
	d, _ := SessionFromEvents(evs)
	return d.SessionID
}

func TestPasswords(t *testing.T) {
	now := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	l, _ := logtest.Open(t, events.Options{Applier: New(), Now: func() time.Time { return now }})
	if err := Init(l.DB()); err != nil {
		t.Fatal(err)
	}
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanFree)
	b, _ := MustAccount(t, l, "b@example.com", domain.PlanFree)
	password := func(acc string) string {
		s, _ := View(l.DB(), func(tx *bolt.Tx) (string, error) { return AccountPassword(tx, acc) })
		return s
	}
	t.Run("Set", func(t *testing.T) {
		if _, err := View(l.DB(), func(tx *bolt.Tx) (string, error) { return AccountPassword(tx, a) }); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("no password yet: %v", err)
		}
		MustExec(t, l, SetPassword(a, phcA))
		if password(a) != phcA || password(b) != "" {
			t.Fatalf("a=%q b=%q", password(a), password(b))
		}
		if _, err := l.Execute(context.Background(), SetPassword(a, "hunter2")); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("a plain password as hash: %v", err)
		}
		if _, err := l.Execute(context.Background(), SetPassword("acc_01JD5Z8X7K3M9N2P4R6T8V0W1X", phcA)); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("no account: %v", err)
		}
	})
	t.Run("LinkSingleUse", func(t *testing.T) {
		tok := strings.Repeat("a", 64)
		MustExec(t, l, CreatePasswordLink(b, tok, 24*time.Hour))
		MustExec(t, l, UsePasswordLink(tok, phcB))
		if password(b) != phcB {
			t.Fatalf("b's password %q", password(b))
		}
		if _, err := l.Execute(context.Background(), UsePasswordLink(tok, phcA)); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("second use: %v", err)
		}
		if password(b) != phcB {
			t.Fatal("a used link set the password again")
		}
	})
	t.Run("LinkExpires", func(t *testing.T) {
		tok := strings.Repeat("b", 64)
		MustExec(t, l, CreatePasswordLink(b, tok, 24*time.Hour))
		now = now.Add(24 * time.Hour)
		if _, err := l.Execute(context.Background(), UsePasswordLink(tok, phcA)); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("expired link: %v", err)
		}
		if _, err := l.Execute(context.Background(), UsePasswordLink(strings.Repeat("c", 64), phcA)); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("unknown link: %v", err)
		}
	})
}

func TestSessions(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanFree)
	b, _ := MustAccount(t, l, "b@example.com", domain.PlanFree)
	MustExec(t, l, SetPassword(a, phcA))
	MustExec(t, l, SetPassword(b, phcA))
	h1, h2, h3 := strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64)
	s1, s2 := mustSession(t, l, a, h1), mustSession(t, l, a, h2)
	s3 := mustSession(t, l, b, h3)
	list := func(acc string) []domain.Session {
		ss, err := View(l.DB(), func(tx *bolt.Tx) ([]domain.Session, error) { return Sessions(tx, acc) })
		if err != nil {
			t.Fatal(err)
		}
		return ss
	}
	t.Run("Create", func(t *testing.T) {
		s, err := View(l.DB(), func(tx *bolt.Tx) (domain.Session, error) { return SessionByHash(tx, h1) })
		if err != nil || s.ID != s1 || s.AccountID != a || len(s.UserAgent) != 256 || s.IdleFor != 12*time.Hour {
			t.Fatalf("%+v, %v", s, err)
		}
		if ss := list(a); len(ss) != 2 || ss[0].ID != s2 {
			t.Fatalf("a's sessions %+v", ss)
		}
	})
	t.Run("ErrStalePassword", func(t *testing.T) {
		_, err := l.Execute(context.Background(), CreateSession(NewSession{AccountID: a, PasswordHash: phcB, IDHash: h3}))
		if domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Fatalf("checked against an old hash: %v", err)
		}
	})
	t.Run("RevokeOthersNotFound", func(t *testing.T) {
		if _, err := l.Execute(context.Background(), RevokeSession(a, s3, "revoked")); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("a revoking b's session: %v", err)
		}
	})
	t.Run("Revoke", func(t *testing.T) {
		MustExec(t, l, RevokeSession(a, s1, "signed_out"))
		if _, err := View(l.DB(), func(tx *bolt.Tx) (domain.Session, error) { return SessionByHash(tx, h1) }); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("revoked session still found: %v", err)
		}
		if _, err := l.Execute(context.Background(), RevokeSession(a, s1, "signed_out")); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("twice: %v", err)
		}
	})
	t.Run("PasswordSetRevokesAll", func(t *testing.T) {
		mustSession(t, l, a, h1)
		evs := MustExec(t, l, SetPassword(a, phcB))
		if len(evs) != 3 || len(list(a)) != 0 || len(list(b)) != 1 {
			t.Fatalf("%d events; a has %d sessions, b %d", len(evs), len(list(a)), len(list(b)))
		}
	})
	t.Run("Everywhere", func(t *testing.T) {
		x := mustSession(t, l, b, h1)
		MustExec(t, l, RevokeSessions(b, "everywhere", x))
		if ss := list(b); len(ss) != 1 || ss[0].ID != x {
			t.Fatalf("b's sessions after sign-out everywhere but %s: %+v", x, ss)
		}
	})
}

func TestExpiredSessionsAreSweptAtTheNextSignIn(t *testing.T) {
	now := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	l, _ := logtest.Open(t, events.Options{Applier: New(), Now: func() time.Time { return now }})
	if err := Init(l.DB()); err != nil {
		t.Fatal(err)
	}
	acc, _ := MustAccount(t, l, "ada@example.com", "free")
	MustExec(t, l, SetPassword(acc, phcA))
	old := mustSession(t, l, acc, strings.Repeat("a", 64))
	now = now.Add(7*24*time.Hour + time.Second) // past the absolute expiry of 7 days
	fresh := mustSession(t, l, acc, strings.Repeat("b", 64))

	var ids []string
	mustView(t, l, func(tx *bolt.Tx) error {
		ss, err := Sessions(tx, acc)
		for _, s := range ss {
			ids = append(ids, s.ID)
		}
		if _, err := SessionByHash(tx, strings.Repeat("a", 64)); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("the expired session's cookie still resolves: %v", err)
		}
		return err
	})
	if len(ids) != 1 || ids[0] != fresh {
		t.Fatalf("sessions after the sweep = %v, want only %s (not the expired %s)", ids, fresh, old)
	}
	var reasons []string
	if err := l.ReadFrom(ulid.ULID{}, func(ev events.Event) error {
		var d events.SessionRevokedData
		if ev.Type == events.SessionRevoked && ev.DecodeData(&d) == nil {
			reasons = append(reasons, d.SessionID+":"+d.Reason)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(reasons) != 1 || reasons[0] != old+":expired" {
		t.Fatalf("revocations in the log = %v, want %s:expired", reasons, old)
	}
}
