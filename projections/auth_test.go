package projections

import (
	"crypto/rand"
	"strconv"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
)

func mustAuthLog(tb testing.TB) *events.Log {
	tb.Helper()
	l, _ := logtest.Open(tb, events.Options{Applier: New()})
	tb.Cleanup(func() { l.Close() })
	return l
}

func badSecret(tb testing.TB) string {
	tb.Helper()
	s, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return "Bearer " + s
}

func TestAuthenticator_Authenticate(t *testing.T) {
	l := mustAuthLog(t)
	acc, secret := MustAccount(t, l, "ada@example.com", domain.PlanFree)
	clock := &testClock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	a := NewAuthenticator(l.DB(), AuthConfig{FailureBurst: 2, FailureRate: rate.Every(6 * time.Second), Now: clock.Now})

	t.Run("OK", func(t *testing.T) {
		gotAcc, key, err := a.Authenticate("bearer "+secret, "192.0.2.1:1000")
		if err != nil || gotAcc.ID != acc || key.AccountID != acc {
			t.Fatalf("%+v %+v %v", gotAcc, key, err)
		}
	})
	t.Run("LimitRefills", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			if _, _, err := a.Authenticate(badSecret(t), "192.0.2.2:1000"); domain.ErrorCode(err) != domain.CodeUnauthorized {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		_, _, err := a.Authenticate("Bearer "+secret, "192.0.2.2:2000")
		if domain.ErrorCode(err) != domain.CodeQuota || domain.RetryAfter(err) != 6*time.Second {
			t.Fatalf("over the limit: %v (retry after %v)", err, domain.RetryAfter(err))
		}
		clock.Set(clock.Now().Add(6 * time.Second))
		if _, _, err := a.Authenticate("Bearer "+secret, "192.0.2.2:2000"); err != nil {
			t.Fatalf("after the refill: %v", err)
		}
	})
	t.Run("IPv6Slash64IsOneAddress", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			a.Authenticate(badSecret(t), "[2001:db8:1:2::"+strconv.Itoa(i+1)+"]:1000")
		}
		if _, _, err := a.Authenticate(badSecret(t), "[2001:db8:1:2:ffff::9]:1000"); domain.ErrorCode(err) != domain.CodeQuota {
			t.Fatalf("same /64: %v", err)
		}
		if _, _, err := a.Authenticate(badSecret(t), "[2001:db8:1:3::1]:1000"); domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Fatalf("another /64: %v", err)
		}
	})
}

func TestAuthenticatorMemoryIsBounded(t *testing.T) {
	l := mustAuthLog(t)
	a := NewAuthenticator(l.DB(), AuthConfig{MaxClients: 8})
	for i := 0; i < 100; i++ {
		a.Authenticate(badSecret(t), "198.51.100."+strconv.Itoa(i)+":1000")
	}
	n := a.clients.Len()
	if n > 8 {
		t.Fatalf("%d addresses remembered, want at most 8", n)
	}
}
