package httpapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

func TestKeys_Ops(t *testing.T) {
	ctx := context.Background()
	l := mustOpsLog(t)
	a, aSecret := mustOpsAccount(t, l, "a@example.com", domain.PlanFree)
	b, _ := mustOpsAccount(t, l, "b@example.com", domain.PlanFree)

	var created newKeyJSON
	t.Run("CreateStoresOnlyTheHash", func(t *testing.T) {
		var err error
		created, err = createKey(ctx, l, rand.Reader, a, "ci")
		if err != nil {
			t.Fatal(err)
		}
		if err := domain.CheckKeySecret(created.Key); err != nil {
			t.Fatalf("secret %q: %v", created.Key, err)
		}
		if !strings.HasPrefix(created.Key, created.Prefix) || !strings.HasPrefix(created.ID, "key_") || created.Description != "ci" {
			t.Fatalf("created = %+v", created)
		}
		err = l.DB().View(func(tx *bolt.Tx) error {
			k, err := projections.KeyByHash(tx, domain.HashKeySecret(created.Key))
			if err != nil {
				return err
			}
			if k.ID != created.ID || k.AccountID != a || strings.Contains(k.Hash, created.Key) {
				t.Errorf("stored key = %+v", k)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ListNewestFirst", func(t *testing.T) {
		ks, err := listKeys(l.DB(), a, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(ks) != 2 || ks[0].ID != created.ID || ks[1].Prefix != domain.KeyShownPrefix(aSecret) {
			t.Fatalf("keys = %+v", ks)
		}
	})
	t.Run("ErrOtherAccountsKey", func(t *testing.T) {
		wantCode(t, revokeKey(ctx, l, b, created.ID), domain.CodeNotFound)
	})
	t.Run("Revoke", func(t *testing.T) {
		if err := revokeKey(ctx, l, a, created.ID); err != nil {
			t.Fatal(err)
		}
		ks, err := listKeys(l.DB(), a, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if ks[0].RevokedAt == nil || ks[1].RevokedAt != nil {
			t.Fatalf("keys after revoke = %+v", ks)
		}
		wantCode(t, revokeKey(ctx, l, a, created.ID), domain.CodeConflict)
	})
	t.Run("ErrLastKey", func(t *testing.T) {
		ks, _ := listKeys(l.DB(), a, "", 100)
		wantCode(t, revokeKey(ctx, l, a, ks[1].ID), domain.CodeConflict)
	})
	t.Run("ErrUnknownCursor", func(t *testing.T) {
		_, err := listKeys(l.DB(), a, "key_01ARZ3NDEKTSV4RRFFQ69G5FAV", 100)
		wantCode(t, err, domain.CodeInvalid)
	})
}

// TestKeys_RevokeRace revokes an account's two keys at once, many times over:
// the decision is taken inside the write transaction, so exactly one wins
// and the account always keeps an active key.
func TestKeys_RevokeRace(t *testing.T) {
	ctx := context.Background()
	l := mustOpsLog(t)
	for i := range 20 {
		acc, _ := mustOpsAccount(t, l, fmt.Sprintf("r%d@example.com", i), domain.PlanFree)
		if _, err := createKey(ctx, l, rand.Reader, acc, "second"); err != nil {
			t.Fatal(err)
		}
		ks, err := listKeys(l.DB(), acc, "", 10)
		if err != nil || len(ks) != 2 {
			t.Fatalf("keys %+v, %v", ks, err)
		}
		errs := make(chan error, 2)
		var wg sync.WaitGroup
		for _, k := range ks {
			wg.Go(func() { errs <- revokeKey(ctx, l, acc, k.ID) })
		}
		wg.Wait()
		close(errs)
		ok, conflict := tallyRace(t, errs)
		if ok != 1 || conflict != 1 {
			t.Fatalf("round %d: %d revoked, %d conflicts; want 1 and 1", i, ok, conflict)
		}
	}
}
