package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"warren/cmd/warren/internal/warrentest"
)

// TestHTTPOIDCLoginGuardsTheTunnel runs the real binaries against an
// in-process identity provider: `warren http --oidc-issuer …` sends a
// visitor to sign in and back to the page it asked for; an email off the
// --allow-email list is refused and never reaches the local service; the
// same login set on a reservation over the API guards an agent without
// flags; the client secret is in no file of the server's data directory
// in clear (the reservation's is in the sealed store).
func TestHTTPOIDCLoginGuardsTheTunnel(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	data := t.TempDir()
	s := warrentest.StartServerAt(t, data, "127.0.0.1:0", "WARREN_OIDC_INSECURE_ISSUERS=true")
	defer s.Stop(t)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	_, srvPort, _ := net.SplitHostPort(s.Addr)
	o, port := startAccessOrigin(t)
	a := warrentest.StartAgent(t, s, key, "http", port, "--subdomain", "sso",
		"--oidc-issuer", m.Issuer(), "--oidc-client-id", m.ClientID, "--oidc-client-secret", m.ClientSecret,
		"--allow-email", "ada@example.com")
	a.Wait(t, "Forwarding http://sso.localhost:"+srvPort)

	visitor := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if strings.HasSuffix(addr, ".localhost:"+srvPort) {
				addr = s.Addr
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Jar: jar, Transport: tr, Timeout: 20 * time.Second}
	}
	page := "http://sso.localhost:" + srvPort + "/dashboard?tab=2"
	m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "ada@example.com", EmailVerified: true})
	res, err := visitor().Get(page)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.String() != page {
		t.Fatalf("after login: %d at %s", res.StatusCode, res.Request.URL)
	}
	m.QueueUser(&mockoidc.MockUser{Subject: "2", Email: "bob@example.com", EmailVerified: true})
	res, err = visitor().Get(page)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("an email off the list: %d", res.StatusCode)
	}
	if n := len(o.seen()); n != 1 {
		t.Fatalf("the local service was reached %d times, want 1", n)
	}
	a.Wait(t, "/dashboard?tab=2 200")

	// The same login on a reservation, over the API: its client secret is
	// sealed, and an agent without flags on the name is guarded by it.
	api := func(method, path, body string) int {
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	defer http.DefaultClient.CloseIdleConnections()
	if st := api("POST", "/api/v1/me/reservations", `{"subdomain":"team"}`); st != 201 {
		t.Fatalf("reserve: %d", st)
	}
	if st := api("PUT", "/api/v1/me/reservations/team/access", `{"oidc":{"issuer":"`+m.Issuer()+`","clientId":"`+m.ClientID+
		`","clientSecret":"`+m.ClientSecret+`","allowEmail":["@example.com"]}}`); st != 200 {
		t.Fatalf("PUT access: %d", st)
	}
	o2, port2 := startAccessOrigin(t)
	a2 := warrentest.StartAgent(t, s, key, "http", port2, "--subdomain", "team")
	a2.Wait(t, "Forwarding http://team.localhost:"+srvPort)
	m.QueueUser(&mockoidc.MockUser{Subject: "3", Email: "eve@elsewhere.org", EmailVerified: true})
	res, err = visitor().Get("http://team.localhost:" + srvPort + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 || len(o2.seen()) != 0 {
		t.Fatalf("reservation login, email off the list: %d, %d hits", res.StatusCode, len(o2.seen()))
	}
	m.QueueUser(&mockoidc.MockUser{Subject: "4", Email: "cy@example.com", EmailVerified: true})
	res, err = visitor().Get("http://team.localhost:" + srvPort + "/in")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || len(o2.seen()) != 1 {
		t.Fatalf("reservation login, allowed email: %d, %d hits", res.StatusCode, len(o2.seen()))
	}
	if _, err := os.Stat(filepath.Join(data, "secrets.sealed")); err != nil {
		t.Fatalf("no sealed store: %v", err)
	}
	filepath.Walk(data, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(m.ClientSecret)) {
			t.Errorf("%s holds the OIDC client secret", path)
		}
		return nil
	})
}
