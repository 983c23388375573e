package certs

import (
	"context"
	"encoding/base64"
	"slices"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"warren/cmd/warren/internal/server/certs/acmetest"
)

func TestRFC2136_AppendsAndDeletesSignedRecords(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	dns := acmetest.StartDNS(t, map[string]string{"warren-key.": secret}, base)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec := []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "token-1", TTL: time.Minute}}
	t.Run("OK", func(t *testing.T) {
		p := &RFC2136{Server: dns.Addr, KeyName: "warren-key", Secret: secret}
		if _, err := p.AppendRecords(ctx, base+".", rec); err != nil {
			t.Fatal(err)
		}
		if got := dns.TXT("_acme-challenge." + base + "."); !slices.Equal(got, []string{"token-1"}) {
			t.Fatalf("after append: %q", got)
		}
		if _, err := p.DeleteRecords(ctx, base+".", rec); err != nil {
			t.Fatal(err)
		}
		if got := dns.TXT("_acme-challenge." + base + "."); len(got) != 0 {
			t.Fatalf("after delete: %q", got)
		}
	})
	t.Run("ErrWrongKey", func(t *testing.T) {
		p := &RFC2136{Server: dns.Addr, KeyName: "warren-key", Secret: base64.StdEncoding.EncodeToString([]byte("not the key"))}
		if _, err := p.AppendRecords(ctx, base+".", rec); err == nil {
			t.Fatal("an update signed with the wrong key was accepted")
		}
		if got := dns.TXT("_acme-challenge." + base + "."); len(got) != 0 {
			t.Fatalf("a refused update changed the zone: %q", got)
		}
	})
}

func TestParseTSIGKey(t *testing.T) {
	if n, s, err := ParseTSIGKey("warren-key:c2VjcmV0"); err != nil || n != "warren-key" || s != "c2VjcmV0" {
		t.Fatalf("%q %q %v", n, s, err)
	}
	for _, bad := range []string{"", "nokey", ":c2VjcmV0", "name:", "name:not base64!"} {
		if _, _, err := ParseTSIGKey(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
