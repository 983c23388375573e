package certs

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDirStorage_Locks(t *testing.T) {
	s := newDirStorage(t.TempDir())
	ctx := context.Background()
	if err := s.Lock(ctx, "issue_cert_a"); err != nil {
		t.Fatal(err)
	}
	t.Run("TryLockHeld", func(t *testing.T) {
		if ok, err := s.TryLock(ctx, "issue_cert_a"); ok || err != nil {
			t.Fatalf("took a held lock: %v %v", ok, err)
		}
		if ok, _ := s.TryLock(ctx, "issue_cert_b"); !ok {
			t.Fatal("another name is not free")
		}
		_ = s.Unlock(ctx, "issue_cert_b")
	})
	t.Run("LockWaitsForUnlock", func(t *testing.T) {
		got := make(chan error, 1)
		go func() { got <- s.Lock(ctx, "issue_cert_a") }()
		select {
		case err := <-got:
			t.Fatalf("took a held lock: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if err := s.Unlock(ctx, "issue_cert_a"); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-got:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the waiter never got the lock")
		}
	})
	t.Run("ErrContextEnds", func(t *testing.T) {
		c, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if err := s.Lock(c, "issue_cert_a"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%v, want the context's end", err)
		}
	})
	t.Run("ErrUnlockFree", func(t *testing.T) {
		_ = s.Unlock(ctx, "issue_cert_a")
		if err := s.Unlock(ctx, "issue_cert_a"); err == nil {
			t.Fatal("unlocked a free name")
		}
	})
}
