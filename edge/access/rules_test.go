package access

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"warren/domain"
)

// cheap keeps argon2id fast in tests; verification reads the parameters
// from each hash, so the code path is the real one.
var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func mustCred(t *testing.T, spec string) Credential {
	t.Helper()
	c, err := hashCredential(rand.Reader, spec, cheap)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func prefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		p, err := ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestRules_Check: each rule lets the right visitor in and keeps the
// wrong one out, with the status and reason the capture records.
func TestRules_Check(t *testing.T) {
	users := []Credential{mustCred(t, "ada:correct horse"), mustCred(t, "bob:battery staple")}
	type req struct {
		remote, xff, user, pw string
	}
	cases := []struct {
		name   string
		cfg    Config
		req    req
		status int
		reason string
		user   string
	}{
		{"no rules", Config{}, req{remote: "192.0.2.1:5000"}, 0, "", ""},
		{"allow v4 in", Config{Allow: prefixes(t, "10.0.0.0/8")}, req{remote: "10.1.2.3:5000"}, 0, "", ""},
		{"allow v4 out", Config{Allow: prefixes(t, "10.0.0.0/8")}, req{remote: "192.0.2.1:5000"}, 403, ReasonIP, ""},
		{"deny wins", Config{Allow: prefixes(t, "10.0.0.0/8"), Deny: prefixes(t, "10.9.0.0/16")}, req{remote: "10.9.1.1:5000"}, 403, ReasonIP, ""},
		{"deny only, other", Config{Deny: prefixes(t, "198.51.100.7")}, req{remote: "198.51.100.8:1"}, 0, "", ""},
		{"deny only, listed", Config{Deny: prefixes(t, "198.51.100.7")}, req{remote: "198.51.100.7:1"}, 403, ReasonIP, ""},
		{"allow v6 in", Config{Allow: prefixes(t, "2001:db8::/32")}, req{remote: "[2001:db8::1]:443"}, 0, "", ""},
		{"allow v6 out", Config{Allow: prefixes(t, "2001:db8::/32")}, req{remote: "[2001:db9::1]:443"}, 403, ReasonIP, ""},
		{"v4-mapped remote", Config{Allow: prefixes(t, "10.0.0.0/8")}, req{remote: "[::ffff:10.1.2.3]:1"}, 0, "", ""},
		{"v4-mapped rule", Config{Deny: prefixes(t, "::ffff:10.0.0.0/104")}, req{remote: "10.1.2.3:1"}, 403, ReasonIP, ""},
		{"header ignored without trusted proxies", Config{Allow: prefixes(t, "10.0.0.0/8")},
			req{remote: "192.0.2.1:1", xff: "10.1.1.1"}, 403, ReasonIP, ""},
		{"header ignored from an untrusted peer", Config{Allow: prefixes(t, "10.0.0.0/8"), TrustedProxies: prefixes(t, "127.0.0.1")},
			req{remote: "192.0.2.1:1", xff: "10.1.1.1"}, 403, ReasonIP, ""},
		{"client behind trusted proxies", Config{Allow: prefixes(t, "203.0.113.0/24"), TrustedProxies: prefixes(t, "127.0.0.0/8", "10.0.0.0/8")},
			req{remote: "127.0.0.1:1", xff: "203.0.113.9, 10.0.0.2"}, 0, "", ""},
		{"spoofed leftmost entry", Config{Allow: prefixes(t, "10.0.0.0/8"), TrustedProxies: prefixes(t, "127.0.0.1")},
			req{remote: "127.0.0.1:1", xff: "10.1.1.1, 203.0.113.9"}, 403, ReasonIP, ""},
		{"garbage from a trusted proxy", Config{Deny: prefixes(t, "192.0.2.0/24"), TrustedProxies: prefixes(t, "127.0.0.1")},
			req{remote: "127.0.0.1:1", xff: "not-an-ip"}, 403, ReasonIP, ""},
		{"ada", Config{BasicAuth: users}, req{remote: "192.0.2.1:1", user: "ada", pw: "correct horse"}, 0, "", "ada"},
		{"bob", Config{BasicAuth: users}, req{remote: "192.0.2.1:1", user: "bob", pw: "battery staple"}, 0, "", "bob"},
		{"wrong password", Config{BasicAuth: users}, req{remote: "192.0.2.1:1", user: "ada", pw: "battery staple"}, 401, ReasonBasicAuth, ""},
		{"unknown user", Config{BasicAuth: users}, req{remote: "192.0.2.1:1", user: "eve", pw: "correct horse"}, 401, ReasonBasicAuth, ""},
		{"no credentials", Config{BasicAuth: users}, req{remote: "192.0.2.1:1"}, 401, ReasonBasicAuth, ""},
		{"address before password", Config{BasicAuth: users, Deny: prefixes(t, "192.0.2.0/24")},
			req{remote: "192.0.2.1:1", user: "ada", pw: "correct horse"}, 403, ReasonIP, ""},
		{"both pass", Config{BasicAuth: users, Allow: prefixes(t, "192.0.2.0/24")},
			req{remote: "192.0.2.1:1", user: "bob", pw: "battery staple"}, 0, "", "bob"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rules, err := New(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "http://demo.example.test/hook", nil)
			r.RemoteAddr = c.req.remote
			if c.req.xff != "" {
				r.Header.Set("X-Forwarded-For", c.req.xff)
			}
			if c.req.user != "" {
				r.SetBasicAuth(c.req.user, c.req.pw)
			}
			d := rules.Check(r)
			if d.Allowed != (c.status == 0) || d.Status != c.status || d.Reason != c.reason || d.User != c.user {
				t.Fatalf("got %+v, want status %d reason %q user %q", d, c.status, c.reason, c.user)
			}
			if d.UsedAuthorization != (c.user != "") {
				t.Fatalf("UsedAuthorization %v", d.UsedAuthorization)
			}
		})
	}
}

// TestRules_RemembersOnlyVerifiedPairs: a right password is cached (as a
// keyed hash) so the next request skips argon2id; a wrong one is not.
func TestRules_RemembersOnlyVerifiedPairs(t *testing.T) {
	rules, err := New(Config{BasicAuth: []Credential{mustCred(t, "ada:correct horse")}})
	if err != nil {
		t.Fatal(err)
	}
	try := func(pw string) bool {
		r := httptest.NewRequest("GET", "/", nil)
		r.SetBasicAuth("ada", pw)
		return rules.Check(r).Allowed
	}
	if try("wrong password") || len(rules.cache.set) != 0 {
		t.Fatal("a wrong password was let in or remembered")
	}
	if !try("correct horse") || !try("correct horse") || len(rules.cache.set) != 1 {
		t.Fatalf("cache holds %d", len(rules.cache.set))
	}
	for k := range rules.cache.set {
		if strings.Contains(string(k[:]), "correct horse") {
			t.Fatal("the cache holds the password")
		}
	}
}

// TestNew_RefusesBadConfig: unparseable hashes, duplicate users and
// realms that would need escaping are refused.
func TestNew_RefusesBadConfig(t *testing.T) {
	ada := mustCred(t, "ada:correct horse")
	for name, c := range map[string]Config{
		"hash":     {BasicAuth: []Credential{{User: "ada", Hash: "correct horse"}}},
		"twice":    {BasicAuth: []Credential{ada, ada}},
		"realm":    {Realm: `say "hi"`},
		"prefix":   {Allow: []netip.Prefix{{}}},
		"username": {BasicAuth: []Credential{{User: "a:b", Hash: ada.Hash}}},
	} {
		if _, err := New(c); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%s: err %v, want invalid", name, err)
		}
	}
}

// TestHashCredential: the stored form is a hash that never holds the
// password; malformed values fail without quoting it.
func TestHashCredential(t *testing.T) {
	c, err := HashCredential("ada:correct horse")
	if err != nil {
		t.Fatal(err)
	}
	h, err := domain.ParsePasswordHash(c.Hash)
	if err != nil || c.User != "ada" || strings.Contains(c.Hash, "correct") || h.Memory != DefaultParams.Memory {
		t.Fatalf("%+v %v", c, err)
	}
	for _, in := range []string{"ada", ":correct horse", "ada:short", "a\nb:correct horse", strings.Repeat("u", 129) + ":correct horse"} {
		_, err := hashCredential(rand.Reader, in, cheap)
		if domain.ErrorCode(err) != domain.CodeInvalid || strings.Contains(err.Error(), "horse") {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// TestParseCIDR: prefixes are masked, single addresses become /32 or
// /128, IPv4-mapped prefixes become IPv4.
func TestParseCIDR(t *testing.T) {
	for in, want := range map[string]string{
		"10.1.2.3/8": "10.0.0.0/8", "192.0.2.7": "192.0.2.7/32", "2001:db8::1": "2001:db8::1/128",
		"2001:db8::/32": "2001:db8::/32", "::ffff:10.0.0.0/104": "10.0.0.0/8", " 10.0.0.0/8 ": "10.0.0.0/8",
	} {
		p, err := ParseCIDR(in)
		if err != nil || p.String() != want {
			t.Errorf("ParseCIDR(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"", "10.0.0.0/33", "example.com", "fe80::1%eth0", "10.0.0"} {
		if _, err := ParseCIDR(in); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("ParseCIDR(%q): %v", in, err)
		}
	}
}

// TestWriteRefusal: 401 names the realm in WWW-Authenticate, 403 does not;
// the page is plain text in HTML, JSON for clients that ask.
func TestWriteRefusal(t *testing.T) {
	req := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	WriteRefusal(w, req, Decision{Status: 401, Reason: ReasonBasicAuth}, "stripe-dev")
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Basic realm="stripe-dev", charset="UTF-8"` ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), "user name and password") {
		t.Fatalf("401: %d %v %s", w.Code, w.Header(), w.Body)
	}

	w = httptest.NewRecorder()
	WriteRefusal(w, req, Decision{Status: 403, Reason: ReasonIP, Client: netip.MustParseAddr("192.0.2.1")}, "x")
	if w.Code != 403 || w.Header().Get("WWW-Authenticate") != "" || !strings.Contains(w.Body.String(), "192.0.2.1") ||
		strings.Contains(w.Body.String(), "<script") || w.Header().Get("Content-Security-Policy") != "default-src 'none'" {
		t.Fatalf("403: %d %v %s", w.Code, w.Header(), w.Body)
	}

	req.Header.Set("Accept", "application/json")
	w = httptest.NewRecorder()
	WriteRefusal(w, req, Decision{Status: 401, Reason: ReasonBasicAuth}, `bad"realm`)
	if w.Code != 401 || w.Header().Get("Content-Type") != "application/json" || !strings.Contains(w.Body.String(), `"error":"unauthorized"`) ||
		w.Header().Get("WWW-Authenticate") != `Basic realm="warren", charset="UTF-8"` {
		t.Fatalf("json: %d %v %s", w.Code, w.Header(), w.Body)
	}
}

// TestRules_OverARealListener: a refused visitor never reaches the
// handler behind the rules, an admitted one does, over real HTTP.
func TestRules_OverARealListener(t *testing.T) {
	rules, err := New(Config{BasicAuth: []Credential{mustCred(t, "ada:correct horse")}, Allow: prefixes(t, "127.0.0.0/8")})
	if err != nil {
		t.Fatal(err)
	}
	reached := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := rules.Check(r); !d.Allowed {
			WriteRefusal(w, r, d, rules.Realm())
			return
		}
		reached++
		_, _ = w.Write([]byte("hello " + r.RemoteAddr))
	}))
	defer srv.Close()
	get := func(user, pw string) int {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("", ""); got != 401 {
		t.Fatalf("no credentials: %d", got)
	}
	if got := get("ada", "nope nope nope"); got != 401 {
		t.Fatalf("wrong password: %d", got)
	}
	if got := get("ada", "correct horse"); got != 200 || reached != 1 {
		t.Fatalf("right password: %d, reached %d", got, reached)
	}
}
