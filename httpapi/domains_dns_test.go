package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"warren/domain"
)

func TestDNS_CheckTXT(t *testing.T) {
	dns := startFakeDNS(t)
	r, err := NewDNSResolver(dns.Addr())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d := domain.CustomDomain{Name: "app.example.com", Token: "warren-verify=0123abcd"}

	t.Run("OK", func(t *testing.T) {
		dns.SetTXT("_warren-challenge.app.example.com", "v=spf1 -all", d.Token)
		ok, reason, err := checkTXT(ctx, r, d)
		if err != nil || !ok || reason != "" {
			t.Fatalf("checkTXT = %v, %q, %v; want true", ok, reason, err)
		}
	})
	t.Run("LongRecord", func(t *testing.T) {
		long := domain.CustomDomain{Name: "long.example.com", Token: strings.Repeat("x", 300)}
		dns.SetTXT(long.ChallengeName(), long.Token)
		// A 300-byte TXT is two character-strings that the resolver joins.
		ok, reason, err := checkTXT(ctx, r, long)
		if err != nil || !ok {
			t.Fatalf("checkTXT = %v, %q, %v; want true", ok, reason, err)
		}
	})
	t.Run("ErrWrongToken", func(t *testing.T) {
		dns.SetTXT("_warren-challenge.app.example.com", "warren-verify=ffff")
		ok, reason, err := checkTXT(ctx, r, d)
		if err != nil || ok || !strings.Contains(reason, "do not hold the token") || !strings.Contains(reason, "warren-verify=ffff") {
			t.Fatalf("checkTXT = %v, %q, %v; want a mismatch reason", ok, reason, err)
		}
	})
	t.Run("ErrNoRecord", func(t *testing.T) {
		dns.SetTXT("_warren-challenge.app.example.com")
		ok, reason, err := checkTXT(ctx, r, d)
		if err != nil || ok || !strings.Contains(reason, "no TXT record found at _warren-challenge.app.example.com") {
			t.Fatalf("checkTXT = %v, %q, %v; want not found", ok, reason, err)
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		cctx, ccancel := context.WithCancel(ctx)
		ccancel()
		if _, _, err := checkTXT(cctx, r, d); err == nil {
			t.Fatal("checkTXT on a cancelled context did not fail")
		}
	})
}

func TestDNS_NewResolver(t *testing.T) {
	t.Run("System", func(t *testing.T) {
		r, err := NewDNSResolver("")
		if err != nil || r == nil {
			t.Fatalf("NewDNSResolver(\"\") = %v, %v", r, err)
		}
	})
	t.Run("ErrNotHostPort", func(t *testing.T) {
		_, err := NewDNSResolver("8.8.8.8")
		if domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("err = %v, want invalid", err)
		}
	})
}
