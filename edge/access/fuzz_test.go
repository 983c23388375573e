package access

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// FuzzCheck feeds the address rules arbitrary peer addresses and
// forwarding headers: Check never panics, a request let in always comes
// from an allowed, not denied address, and a peer that is not a trusted
// proxy is judged by its own address whatever the header says.
func FuzzCheck(f *testing.F) {
	f.Add("127.0.0.1:1", "203.0.113.9, 10.0.0.2")
	f.Add("[::ffff:127.0.0.1]:9", "10.1.1.1,203.0.113.9")
	f.Add("192.0.2.1:5", "10.1.1.1")
	f.Add("[2001:db8::1]:443", "[2001:db8::2]:80, 127.0.0.5")
	f.Add("@", "")
	f.Add("127.0.0.1:1", " , ")
	allow, _ := ParseCIDR("10.0.0.0/8")
	deny, _ := ParseCIDR("10.9.0.0/16")
	trusted, _ := ParseCIDR("127.0.0.0/8")
	rules, err := New(Config{Allow: []netip.Prefix{allow}, Deny: []netip.Prefix{deny}, TrustedProxies: []netip.Prefix{trusted}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		d := rules.Check(r)
		if d.Allowed && (!allow.Contains(d.Client) || deny.Contains(d.Client)) {
			t.Fatalf("let in %v", d.Client)
		}
		if peer, ok := parseHostAddr(remote); ok && !trusted.Contains(peer) && d.Client != peer {
			t.Fatalf("untrusted peer %v judged as %v", peer, d.Client)
		}
	})
}
