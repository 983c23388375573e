package edge

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"warren/domain"
	"warren/edge/sealed"
	"warren/edge/wire"
	"warren/events"
	"warren/projections"
)

// oidcVisitor is a browser: a cookie jar, redirects followed, tunnel hosts
// dialled at the edge and anything else (the issuer) as it is.
func (te *testEdge) oidcVisitor(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, _ := net.SplitHostPort(addr); strings.HasSuffix(host, "."+testBase) {
			addr = te.addr
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: tr, Timeout: 20 * time.Second}
}

// TestOIDCLoginGuardsTheTunnel runs the login over a real tunnel against an
// in-process provider: a visitor is sent to sign in, the callback on the
// tunnel's own host lets an allowed, verified email in and resumes the
// first URL; another email is refused and never reaches the local
// service; the sign-in steps are captured as denied "oidc" and
// oidc_login, and the client secret is in no event.
func TestOIDCLoginGuardsTheTunnel(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	te := MustEdge(t, func(c *Config) { c.OIDCInsecureIssuers = true })
	acc, o := mustAccessTunnel(t, te, "sso", &wire.Access{OIDC: &wire.OIDC{Issuer: m.Issuer(), ClientID: m.ClientID,
		ClientSecret: m.ClientSecret, AllowEmail: []string{"@example.com"}}})

	m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "ada@example.com", EmailVerified: true})
	res, err := te.oidcVisitor(t).Get(te.url("sso", "/private?x=1"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.RequestURI() != "/private?x=1" {
		t.Fatalf("after login: %d at %s", res.StatusCode, res.Request.URL)
	}
	if hits, _ := o.seen(); hits != 1 {
		t.Fatalf("the local service was reached %d times, want 1", hits)
	}

	m.QueueUser(&mockoidc.MockUser{Subject: "2", Email: "eve@elsewhere.org", EmailVerified: true})
	res, err = te.oidcVisitor(t).Get(te.url("sso", "/private"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("a not-allowed email: %d", res.StatusCode)
	}
	if hits, _ := o.seen(); hits != 1 {
		t.Fatalf("a refused visitor reached the local service (%d hits)", hits)
	}

	got := te.waitCaptured(t, acc, 5) // newest first
	var denied, logins, served int
	for _, s := range got {
		cr := te.request(t, acc, s.ID)
		switch {
		case cr.Denied == domain.DeniedOIDC:
			denied++
		case cr.Error == "oidc_login":
			logins++
		case cr.Status == 200 && cr.Path == "/private?x=1":
			served++
		}
	}
	if denied != 3 || logins != 1 || served != 1 {
		t.Fatalf("captured %d denied, %d logins, %d served; want 3 (two redirects, one refusal), 1, 1", denied, logins, served)
	}
	if err := te.log.ReadFrom([16]byte{}, func(ev events.Event) error {
		if bytes.Contains(ev.Data, []byte(m.ClientSecret)) {
			t.Errorf("%s holds the client secret", ev.Type)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestOIDCOpenRefusesAPlainHTTPIssuer: the server fetches the issuer's
// discovery document, so a user's --oidc-issuer must be https (no
// requests to plain-http, likely internal, addresses).
func TestOIDCOpenRefusesAPlainHTTPIssuer(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "plain@example.com", "free")
	c := te.MustAgent(t, key)
	spec := agentSpecHTTP(MustOrigin(t, &seenOrigin{}), "", "")
	spec.Access = &wire.Access{OIDC: &wire.OIDC{Issuer: "http://127.0.0.1:1/", ClientID: "a", ClientSecret: "b", AllowEmail: []string{"@x.org"}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Open(ctx, spec); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("open: %v, want invalid", err)
	}
}

// TestReservationOIDCLoginGuardsItsTunnels: a reservation's login, its
// client secret read from the sealed store, guards a tunnel whose agent
// has no flags.
func TestReservationOIDCLoginGuardsItsTunnels(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	dir := t.TempDir()
	store, err := sealed.Open(sealed.Options{Path: filepath.Join(dir, "secrets.sealed"), KeyPath: filepath.Join(dir, "secrets.key")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	te := MustEdge(t, func(c *Config) { c.OIDCInsecureIssuers, c.Secrets = true, store })
	acc, key := te.MustAccount(t, "team@example.com", "pro")
	ctx := context.Background()
	if _, err := te.log.Execute(ctx, projections.Reserve(acc, "team")); err != nil {
		t.Fatal(err)
	}
	id, fp, err := store.Put(m.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := te.log.Execute(ctx, projections.SetReservationAccess(acc, "team", domain.AccessRules{OIDC: &domain.AccessOIDC{
		Issuer: m.Issuer(), ClientID: m.ClientID, SecretID: id, SecretFingerprint: fp, AllowEmail: []string{"ada@example.com"}}})); err != nil {
		t.Fatal(err)
	}
	o := &seenOrigin{}
	c := te.MustAgent(t, key)
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.Open(octx, agentSpecHTTP(MustOrigin(t, o), "team", "")); err != nil {
		t.Fatal(err)
	}
	m.QueueUser(&mockoidc.MockUser{Subject: "2", Email: "eve@example.com", EmailVerified: true})
	res, err := te.oidcVisitor(t).Get(te.url("team", "/"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("an email off the reservation's list: %d", res.StatusCode)
	}
	m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "ada@example.com", EmailVerified: true})
	res, err = te.oidcVisitor(t).Get(te.url("team", "/in"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("an allowed email: %d", res.StatusCode)
	}
	if hits, _ := o.seen(); hits != 1 {
		t.Fatalf("the local service was reached %d times, want 1", hits)
	}
}
