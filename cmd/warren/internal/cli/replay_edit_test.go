package cli

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
)

// seen is what the local service received.
type seen struct{ method, uri, body, env, drop string }

// lastSeen keeps the local service's last request.
type lastSeen struct {
	mu   sync.Mutex
	last seen
}

func (l *lastSeen) set(s seen) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = s
}

func (l *lastSeen) get() seen {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// `warren replay REQ` with --method, --path, --header (repeatable; K:
// removes) and --body-file sends the edited request through the tunnel,
// or to --to, and says what it edited.
func TestReplayWithEditsReachesTheLocalService(t *testing.T) {
	s := warrentest.StartServer(t, t.TempDir())
	defer s.Stop(t)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	var got lastSeen
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.set(seen{r.Method, r.URL.RequestURI(), string(b), r.Header.Get("X-Env"), r.Header.Get("X-Drop")})
		io.WriteString(w, "ok")
	})}
	go origin.Serve(ln)
	defer origin.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_, srvPort, _ := net.SplitHostPort(s.Addr)
	a := warrentest.StartAgent(t, s, key, "http", port, "--subdomain", "edits")
	a.Wait(t, "Forwarding")

	req, _ := http.NewRequest("POST", "http://"+s.Addr+"/hook?x=1", strings.NewReader(`{"amount":1}`))
	req.Host = "edits.localhost:" + srvPort
	req.Header.Set("X-Drop", "secret")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	id := reqIDRe.FindString(a.Wait(t, "/hook?x=1 200"))

	env := []string{"WARREN_SERVER=" + s.URL, "WARREN_API_KEY=" + key, "HOME=" + t.TempDir()}
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	os.WriteFile(bodyFile, []byte(`{"amount":2}`), 0o600)
	edits := []string{"--method", "put", "--path", "/edited?x=2", "--header", "X-Env: test", "--header", "X-Drop:", "--body-file", bodyFile}
	want := seen{method: "PUT", uri: "/edited?x=2", body: `{"amount":2}`, env: "test"}

	out := warrentest.CLIOK(t, env, append([]string{"replay", id}, edits...)...)
	if g := got.get(); g != want || !strings.Contains(out, "(edited: method, path, headers, body)") {
		t.Errorf("through the tunnel: local service saw %+v, want %+v; printed %q", g, want, out)
	}
	got.set(seen{})
	out = warrentest.CLIOK(t, env, append([]string{"replay", id, "--to", "http://" + ln.Addr().String()}, edits...)...)
	if g := got.get(); g != want || !strings.Contains(out, "(edited: method, path, headers, body)") {
		t.Errorf("--to: local service saw %+v, want %+v; printed %q", g, want, out)
	}
	// No edits: the capture as it was.
	warrentest.CLIOK(t, env, "replay", id)
	if g := got.get(); g != (seen{method: "POST", uri: "/hook?x=1", body: `{"amount":1}`, drop: "secret"}) {
		t.Errorf("plain replay: local service saw %+v", g)
	}

	t.Run("ErrBadEdits", func(t *testing.T) {
		warrentest.CLIFails(t, env, `"nocolon" is not K:V`, "replay", id, "--header", "nocolon")
		warrentest.CLIFails(t, env, "cannot be overridden", "replay", id, "--header", "Host: evil")
		warrentest.CLIFails(t, env, "must start with /", "replay", id, "--path", "edited")
		warrentest.CLIFails(t, env, "no such file", "replay", id, "--body-file", filepath.Join(t.TempDir(), "missing"))
	})
}

// A capture whose body was truncated cannot be replayed as it was: the
// CLI says so before sending, and names the flag that supplies the body.
func TestReplayOfTruncatedBodyNamesBodyFile(t *testing.T) {
	s := startAPIServer(t, "")
	env, acct := loggedIn(t, s)
	id := capture(t, s, acct, domain.CapturedRequest{Tunnel: "app", Method: "POST", Path: "/big", Status: 200,
		ReqBody: domain.BodyInfo{Size: 5000, Stored: 10, Truncated: true}}, []byte("0123456789"), nil)
	r := warrentest.Run(t, env, "replay", id)
	if r.Code == 0 || !strings.Contains(r.Stderr, "truncated at capture (10 of 5000 bytes stored)") || !strings.Contains(r.Stderr, "--body-file FILE") {
		t.Errorf("replay of a truncated capture: exit %d, stderr %q: want it explained, naming --body-file", r.Code, r.Stderr)
	}
	r = warrentest.Run(t, env, "replay", id, "--to", "http://127.0.0.1:1")
	if r.Code == 0 || !strings.Contains(r.Stderr, "--body-file FILE") {
		t.Errorf("replay --to of a truncated capture: exit %d, stderr %q: want --body-file named", r.Code, r.Stderr)
	}
}
