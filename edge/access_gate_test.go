package edge

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge/access"
	"warren/edge/wire"
	"warren/events"
	"warren/projections"
)

// origin is a local service that records what reached it.
type seenOrigin struct {
	mu    sync.Mutex
	hits  int
	auths []string
}

func (o *seenOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.hits++
	o.auths = append(o.auths, r.Header.Get("Authorization"))
	o.mu.Unlock()
	w.Write([]byte("hello"))
}

func (o *seenOrigin) seen() (int, []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits, append([]string(nil), o.auths...)
}

// mustAccessTunnel opens an HTTP tunnel named sub with rules a.
func mustAccessTunnel(t *testing.T, te *testEdge, sub string, a *wire.Access) (string, *seenOrigin) {
	t.Helper()
	acc, key := te.MustAccount(t, sub+"@example.com", "free")
	o := &seenOrigin{}
	c := te.MustAgent(t, key)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	spec := agentSpecHTTP(MustOrigin(t, o), sub, "")
	spec.Access = a
	if _, err := c.Open(ctx, spec); err != nil {
		t.Fatal(err)
	}
	return acc, o
}

func mustCred(t *testing.T, spec string) wire.Credential {
	t.Helper()
	c, err := access.HashCredential(spec)
	if err != nil {
		t.Fatal(err)
	}
	return wire.Credential{User: c.User, Hash: c.Hash}
}

func (te *testEdge) get(t *testing.T, url string, hdr ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := te.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestBasicAuthKeepsOutVisitorsWithoutThePassword: over a real tunnel, a
// visitor without the password or with a wrong one gets 401 and never
// reaches the local service, and is captured as denied and counted; the
// right one is let in, and the Authorization header that carried the
// password is neither forwarded nor captured.
func TestBasicAuthKeepsOutVisitorsWithoutThePassword(t *testing.T) {
	te := MustEdge(t)
	acc, o := mustAccessTunnel(t, te, "locked", &wire.Access{BasicAuth: []wire.Credential{mustCred(t, "ada:correct horse battery")}})
	basic := func(user, pw string) string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(user, pw)
		return r.Header.Get("Authorization")
	}
	if res := te.get(t, te.url("locked", "/a")); res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no password: %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	if res := te.get(t, te.url("locked", "/b"), "Authorization", basic("ada", "wrong password!")); res.StatusCode != 401 {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	if hits, _ := o.seen(); hits != 0 {
		t.Fatalf("refused visitors reached the local service %d times", hits)
	}
	if res := te.get(t, te.url("locked", "/c"), "Authorization", basic("ada", "correct horse battery")); res.StatusCode != 200 {
		t.Fatalf("right password: %d", res.StatusCode)
	}
	if hits, auths := o.seen(); hits != 1 || auths[0] != "" {
		t.Fatalf("local service: %d hits, Authorization %q", hits, auths)
	}
	got := te.waitCaptured(t, acc, 3) // newest first
	for i, want := range []struct{ path, denied string }{{"/c", ""}, {"/b", "basic_auth"}, {"/a", "basic_auth"}} {
		cr := te.request(t, acc, got[i].ID)
		if cr.Path != want.path || cr.Denied != want.denied {
			t.Fatalf("capture %d: %s denied %q, want %s %q", i, cr.Path, cr.Denied, want.path, want.denied)
		}
		if want.denied != "" && (cr.Status != 401 || cr.Error != errDenied) {
			t.Fatalf("denied capture: status %d error %q", cr.Status, cr.Error)
		}
		if want.denied == "" {
			if _, ok := cr.ReqHeaders["Authorization"]; ok {
				t.Fatalf("the capture kept the tunnel's Authorization header: %v", cr.ReqHeaders)
			}
		}
	}
	u, err := projections.View(te.log.DB(), func(tx *bolt.Tx) (projections.UsageNow, error) {
		return projections.Usage(tx, acc, time.Now())
	})
	if err != nil || u.Requests != 3 {
		t.Fatalf("usage counts %d requests (%v), want 3 (denied ones too)", u.Requests, err)
	}
}

// TestAddressRulesKeepOutDeniedAddresses: deny wins, an allow list lets in
// only what it lists, and a refused visitor gets 403 and never reaches the
// local service.
func TestAddressRulesKeepOutDeniedAddresses(t *testing.T) {
	te := MustEdge(t)
	cases := []struct {
		sub    string
		a      wire.Access
		status int
	}{
		{"denied", wire.Access{DenyCIDR: []string{"127.0.0.0/8"}}, 403},
		{"notlisted", wire.Access{AllowCIDR: []string{"10.0.0.0/8"}}, 403},
		{"listed", wire.Access{AllowCIDR: []string{"127.0.0.1"}}, 200},
		{"both", wire.Access{AllowCIDR: []string{"127.0.0.0/8"}, DenyCIDR: []string{"127.0.0.1/32"}}, 403},
	}
	for _, c := range cases {
		t.Run(c.sub, func(t *testing.T) {
			acc, o := mustAccessTunnel(t, te, c.sub, &c.a)
			if res := te.get(t, te.url(c.sub, "/")); res.StatusCode != c.status {
				t.Fatalf("status %d, want %d", res.StatusCode, c.status)
			}
			hits, _ := o.seen()
			cr := te.request(t, acc, te.waitCaptured(t, acc, 1)[0].ID)
			if c.status == 403 && (hits != 0 || cr.Denied != access.ReasonIP) {
				t.Fatalf("refused: %d hits, captured denied %q", hits, cr.Denied)
			}
			if c.status == 200 && (hits != 1 || cr.Denied != "") {
				t.Fatalf("allowed: %d hits, captured denied %q", hits, cr.Denied)
			}
		})
	}
}

// TestForwardedAddressBelievedOnlyFromTrustedProxies: X-Forwarded-For
// decides the client address only when the operator trusts the peer it
// came from.
func TestForwardedAddressBelievedOnlyFromTrustedProxies(t *testing.T) {
	rule := &wire.Access{DenyCIDR: []string{"203.0.113.0/24"}}
	t.Run("Untrusted", func(t *testing.T) {
		te := MustEdge(t)
		_, o := mustAccessTunnel(t, te, "plain", rule)
		if res := te.get(t, te.url("plain", "/"), "X-Forwarded-For", "203.0.113.9"); res.StatusCode != 200 {
			t.Fatalf("a header from an untrusted peer decided: %d", res.StatusCode)
		}
		if hits, _ := o.seen(); hits != 1 {
			t.Fatalf("%d hits", hits)
		}
	})
	t.Run("Trusted", func(t *testing.T) {
		te := MustEdge(t, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
		_, o := mustAccessTunnel(t, te, "proxied", rule)
		if res := te.get(t, te.url("proxied", "/"), "X-Forwarded-For", "203.0.113.9"); res.StatusCode != 403 {
			t.Fatalf("denied client behind a trusted proxy: %d", res.StatusCode)
		}
		if res := te.get(t, te.url("proxied", "/"), "X-Forwarded-For", "198.51.100.1"); res.StatusCode != 200 {
			t.Fatalf("allowed client behind a trusted proxy: %d", res.StatusCode)
		}
		if hits, _ := o.seen(); hits != 1 {
			t.Fatalf("%d hits", hits)
		}
	})
}

// TestOpenWithBadAccessRulesIsRefused: a prefix that does not parse, or
// a hash that is not argon2id, refuses the open (nothing half-protected
// goes live).
func TestOpenWithBadAccessRulesIsRefused(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "bad@example.com", "free")
	c := te.MustAgent(t, key)
	for _, a := range []*wire.Access{
		{AllowCIDR: []string{"not-an-address"}},
		{BasicAuth: []wire.Credential{{User: "ada", Hash: "plaintext"}}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		spec := agentSpecHTTP(MustOrigin(t, &seenOrigin{}), "", "")
		spec.Access = a
		_, err := c.Open(ctx, spec)
		cancel()
		if domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("open with %+v: %v, want invalid", a, err)
		}
	}
}

// TestAgentAccessFlagsAreRecordedWithTheOpen: the rules an agent's flags
// give a tunnel are an event (tunnel.access_set, beside its tunnel.opened),
// holding the password's hash, never the password.
func TestAgentAccessFlagsAreRecordedWithTheOpen(t *testing.T) {
	te := MustEdge(t)
	mustAccessTunnel(t, te, "recorded", &wire.Access{BasicAuth: []wire.Credential{mustCred(t, "ada:recorded-pass-1")},
		DenyCIDR: []string{"192.0.2.0/24"}})
	var opened string
	var got []events.TunnelAccessSetData
	if err := te.log.ReadFrom([16]byte{}, func(ev events.Event) error {
		if bytes.Contains(ev.Data, []byte("recorded-pass-1")) {
			t.Errorf("%s holds the password", ev.Type)
		}
		switch ev.Type {
		case events.TunnelOpened:
			var d events.TunnelOpenedData
			if err := ev.DecodeData(&d); err != nil {
				return err
			}
			opened = d.TunnelID
		case events.TunnelAccessSet:
			var d events.TunnelAccessSetData
			if err := ev.DecodeData(&d); err != nil {
				return err
			}
			got = append(got, d)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].TunnelID != opened || len(got[0].BasicAuth) != 1 || got[0].BasicAuth[0].User != "ada" ||
		!strings.HasPrefix(got[0].BasicAuth[0].Hash, "$argon2id$") || len(got[0].DenyCIDR) != 1 {
		t.Fatalf("tunnel.access_set events %+v for tunnel %s", got, opened)
	}
}
