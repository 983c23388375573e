package httpapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"warren/domain"
)

func TestDomains_Ops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := mustOpsLog(t)
	dns := startFakeDNS(t)
	r, err := NewDNSResolver(dns.Addr())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := mustOpsAccount(t, l, "a@example.com", domain.PlanFree)
	b, _ := mustOpsAccount(t, l, "b@example.com", domain.PlanFree)
	const base = "warren.test"

	var d domainJSON
	t.Run("Add", func(t *testing.T) {
		d, err = addDomain(ctx, l, rand.Reader, a, "App.Example.com.", base)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "app.example.com" || d.State != domain.DomainPending || !strings.HasPrefix(d.ID, "dom_") ||
			d.TXTRecord != (txtRecordJSON{Name: "_warren-challenge.app.example.com", Type: "TXT", Value: d.TXTRecord.Value}) ||
			!strings.HasPrefix(d.TXTRecord.Value, "warren-verify=") {
			t.Fatalf("added = %+v", d)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, name := range []string{"localhost", "bad_name.com", "x." + base, base} {
			_, err := addDomain(ctx, l, rand.Reader, a, name, base)
			wantCode(t, err, domain.CodeInvalid)
		}
	})
	t.Run("VerifyFailure", func(t *testing.T) {
		got, err := verifyDomain(ctx, l, r, a, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != domain.DomainFailed || got.LastError == nil || !strings.Contains(*got.LastError, "no TXT record") || got.CheckedAt == nil {
			t.Fatalf("after a failed check = %+v", got)
		}
	})
	t.Run("ErrOtherAccount", func(t *testing.T) {
		_, err := verifyDomain(ctx, l, r, b, d.ID)
		wantCode(t, err, domain.CodeNotFound)
		wantCode(t, removeDomain(ctx, l, b, d.ID), domain.CodeNotFound)
	})
	t.Run("VerifySuccess", func(t *testing.T) {
		dns.SetTXT(d.TXTRecord.Name, d.TXTRecord.Value)
		got, err := verifyDomain(ctx, l, r, a, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != domain.DomainVerified || got.LastError != nil || got.VerifiedAt == nil {
			t.Fatalf("after a good check = %+v", got)
		}
	})
	t.Run("ErrVerifiedElsewhere", func(t *testing.T) {
		_, err := addDomain(ctx, l, rand.Reader, b, "app.example.com", base)
		wantCode(t, err, domain.CodeConflict)
	})
	t.Run("ListAndRemove", func(t *testing.T) {
		ds, err := listDomains(l.DB(), a, "", 100)
		if err != nil || len(ds) != 1 || ds[0].ID != d.ID {
			t.Fatalf("list = %+v, %v", ds, err)
		}
		if err := removeDomain(ctx, l, a, d.ID); err != nil {
			t.Fatal(err)
		}
		ds, err = listDomains(l.DB(), a, "", 100)
		if err != nil || len(ds) != 0 {
			t.Fatalf("list after remove = %+v, %v", ds, err)
		}
		// Once removed, the name is free for another account.
		if _, err := addDomain(ctx, l, rand.Reader, b, "app.example.com", base); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDomains_VerifyRace has two accounts that both published their token
// verify the same name at once: exactly one gets it, the other a conflict.
func TestDomains_VerifyRace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := mustOpsLog(t)
	dns := startFakeDNS(t)
	r, err := NewDNSResolver(dns.Addr())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		name := fmt.Sprintf("race%d.example.com", i)
		type claim struct{ acc, id string }
		var claims []claim
		var tokens []string
		for _, who := range []string{"a", "b"} {
			acc, _ := mustOpsAccount(t, l, fmt.Sprintf("%s%d@example.com", who, i), domain.PlanFree)
			d, err := addDomain(ctx, l, rand.Reader, acc, name, "warren.test")
			if err != nil {
				t.Fatal(err)
			}
			claims = append(claims, claim{acc, d.ID})
			tokens = append(tokens, d.TXTRecord.Value)
		}
		dns.SetTXT(domain.ChallengePrefix+name, tokens...)
		errs := make(chan error, 2)
		var wg sync.WaitGroup
		for _, c := range claims {
			wg.Go(func() {
				_, err := verifyDomain(ctx, l, r, c.acc, c.id)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		ok, conflict := tallyRace(t, errs)
		if ok != 1 || conflict != 1 {
			t.Fatalf("%s: %d verified, %d conflicts; want 1 and 1", name, ok, conflict)
		}
	}
}
