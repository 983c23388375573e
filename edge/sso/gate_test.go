package sso

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
)

// tunnelStub is a tunnel host guarded by a Gate: what passes reaches app.
type tunnelStub struct {
	gate   *Gate
	srv    *httptest.Server
	client *http.Client
	mu     sync.Mutex
	seen   []*http.Request // what reached the app
	clock  atomic.Int64    // unix seconds offset added to time.Now
}

func mustProvider(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return m
}

func mustGate(t *testing.T, m *mockoidc.MockOIDC, allow ...string) *tunnelStub {
	t.Helper()
	ts := &tunnelStub{}
	hc := &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := make([]byte, 32)
	g, err := New(ctx, Config{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret, AllowEmails: allow,
		Key: key, HTTPClient: hc, SessionTTL: time.Minute,
		Now: func() time.Time { return time.Now().Add(time.Duration(ts.clock.Load()) * time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	ts.gate = g
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := g.Check(w, r, "http")
		if !res.Allowed {
			return
		}
		ts.mu.Lock()
		ts.seen = append(ts.seen, r)
		ts.mu.Unlock()
		io.WriteString(w, "app:"+res.Email)
	}))
	t.Cleanup(ts.srv.Close)
	jar, _ := cookiejar.New(nil)
	ts.client = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	t.Cleanup(ts.client.CloseIdleConnections)
	return ts
}

func (ts *tunnelStub) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := ts.client.Get(ts.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (ts *tunnelStub) reached() []*http.Request {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]*http.Request(nil), ts.seen...)
}

// TestGate_LoginResumesTheOriginalRequest: a visitor is sent to the
// issuer, comes back to the callback, gets a session cookie on the
// tunnel's host and lands on the URL it first asked for; the app never
// sees the gate's cookie or the callback.
func TestGate_LoginResumesTheOriginalRequest(t *testing.T) {
	m := mustProvider(t)
	ts := mustGate(t, m, "@example.com")
	m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "Ada@Example.com", EmailVerified: true})
	code, body := ts.get(t, "/private/page?x=1")
	if code != 200 || body != "app:ada@example.com" {
		t.Fatalf("after login: %d %q", code, body)
	}
	seen := ts.reached()
	if len(seen) != 1 || seen[0].URL.RequestURI() != "/private/page?x=1" {
		t.Fatalf("the app saw %d requests, first %v", len(seen), seen)
	}
	if c := seen[0].Header.Get("Cookie"); strings.Contains(c, "warren_oidc") {
		t.Fatalf("the app saw the gate's cookie: %q", c)
	}
	// The session lets the next request straight through.
	if code, _ := ts.get(t, "/again"); code != 200 || len(ts.reached()) != 2 {
		t.Fatalf("second request: %d", code)
	}
	// Past its life, the session no longer counts: back to the issuer.
	ts.clock.Store(120)
	m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "someone@elsewhere.org", EmailVerified: true})
	if code, _ := ts.get(t, "/later"); code != 403 {
		t.Fatalf("an expired session with a not-allowed login: %d, want 403", code)
	}
}

// TestGate_RefusesWhoItShould: an email not on the list, an unverified
// email, a callback without its login cookie or with another state, and a
// POST without a session are all refused and never reach the app.
func TestGate_RefusesWhoItShould(t *testing.T) {
	m := mustProvider(t)
	ts := mustGate(t, m, "ada@example.com")
	t.Run("EmailNotAllowed", func(t *testing.T) {
		m.QueueUser(&mockoidc.MockUser{Subject: "2", Email: "bob@example.com", EmailVerified: true})
		if code, _ := ts.get(t, "/"); code != 403 {
			t.Fatalf("%d, want 403", code)
		}
	})
	t.Run("EmailNotVerified", func(t *testing.T) {
		m.QueueUser(&mockoidc.MockUser{Subject: "3", Email: "ada@example.com", EmailVerified: false})
		if code, _ := ts.get(t, "/"); code != 403 {
			t.Fatalf("%d, want 403", code)
		}
	})
	t.Run("CallbackWithoutLoginCookie", func(t *testing.T) {
		res, err := http.Get(ts.srv.URL + CallbackPath + "?state=x&code=y")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 403 {
			t.Fatalf("%d, want 403", res.StatusCode)
		}
	})
	t.Run("StateMismatch", func(t *testing.T) {
		// Start a login, then come back with another state.
		noFollow := &http.Client{Jar: ts.client.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		defer noFollow.CloseIdleConnections()
		res, err := noFollow.Get(ts.srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 302 || !strings.HasPrefix(res.Header.Get("Location"), m.AuthorizationEndpoint()) {
			t.Fatalf("start: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		res, err = noFollow.Get(ts.srv.URL + CallbackPath + "?state=forged&code=y")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 403 {
			t.Fatalf("%d, want 403", res.StatusCode)
		}
	})
	t.Run("PostWithoutSession", func(t *testing.T) {
		res, err := http.Post(ts.srv.URL+"/hook", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Fatalf("%d, want 401", res.StatusCode)
		}
	})
	if n := len(ts.reached()); n != 0 {
		t.Fatalf("refused visitors reached the app %d times", n)
	}
	http.DefaultClient.CloseIdleConnections()
}

// TestNew_RefusesIncompleteConfig: no allow list, a malformed email rule
// or a short key are refused before any request is served.
func TestNew_RefusesIncompleteConfig(t *testing.T) {
	m := mustProvider(t)
	key := make([]byte, 32)
	for _, c := range []Config{
		{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret, Key: key},
		{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret, Key: key, AllowEmails: []string{"nobody"}},
		{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret, Key: key[:8], AllowEmails: []string{"@x.org"}},
		{Issuer: m.Issuer(), ClientID: m.ClientID, Key: key, AllowEmails: []string{"@x.org"}},
	} {
		if _, err := New(context.Background(), c); err == nil {
			t.Fatalf("accepted %+v", c)
		}
	}
}
