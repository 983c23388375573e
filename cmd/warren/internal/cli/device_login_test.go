package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/cmd/warren/internal/server"
	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
	"warren/events"
	"warren/events/logtest"
	"warren/httpapi"
	"warren/httpapi/client"
	"warren/httpapi/dashboard"
	"warren/projections"
)

// deviceServer is the real API in-process with one account, ada, who has
// a password (cheap to hash here) and is signed in to the dashboard.
type deviceServer struct {
	URL    string
	cookie string
}

func startDeviceServer(t *testing.T) *deviceServer {
	t.Helper()
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 64}, watermill.NopLogger{})
	l, _ := logtest.Open(t, events.Options{Applier: projections.New(), Publisher: bus})
	cheap := dashboard.Params{Memory: 64, Time: 1, Threads: 1}
	api, err := httpapi.New(httpapi.Config{Log: l, BaseDomain: "localhost", Subscriber: bus,
		Logger: slog.New(slog.DiscardHandler), PasswordParams: cheap})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		l.Close()
		bus.Close()
	})
	ctx := context.Background()
	_, acc, err := server.CreateAccount(ctx, l, projections.NewAccount{Email: "ada@example.com", Name: "Ada", Plan: domain.PlanFree})
	if err != nil {
		t.Fatal(err)
	}
	phc, err := dashboard.HashPassword(rand.Reader, "pw-ada-123456", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Execute(ctx, projections.SetPassword(acc.ID, phc)); err != nil {
		t.Fatal(err)
	}
	resp := deviceCall(t, srv.URL, "POST", "/api/v1/session", "", `{"email":"ada@example.com","password":"pw-ada-123456"}`, http.StatusCreated)
	for _, c := range resp.Cookies() {
		return &deviceServer{URL: srv.URL, cookie: c.Name + "=" + c.Value}
	}
	t.Fatal("signing in set no cookie")
	return nil
}

// deviceCall sends a JSON request (with the cookie, if any) and requires want.
func deviceCall(t *testing.T, base, method, path, cookie, body string, want int) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
	}
	return resp
}

var userCodeRe = regexp.MustCompile(`\b[B-Z]{4}-[B-Z]{4}\b`)

// waitUserCode waits (10 s at most) for out to show a user code.
func waitUserCode(t *testing.T, out *warrentest.LockedBuffer) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c := userCodeRe.FindString(out.String()); c != "" {
			return c
		}
	}
	t.Fatalf("no user code shown within 10 s: %q", out.String())
	return ""
}

type loginResult struct {
	key string
	err error
}

// runDeviceLogin starts deviceLogin and returns what it prints and, later, its result.
func runDeviceLogin(t *testing.T, base string) (*warrentest.LockedBuffer, <-chan loginResult) {
	t.Helper()
	out := &warrentest.LockedBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done, finished := make(chan loginResult, 1), make(chan struct{})
	go func() {
		defer close(finished)
		k, err := deviceLogin(ctx, base+"/", &http.Client{Timeout: 10 * time.Second}, out)
		done <- loginResult{k, err}
	}()
	t.Cleanup(func() {
		cancel()
		<-finished // the goroutine ends with its context
	})
	return out, done
}

func TestDeviceLoginReturnsTheKeyApprovedInTheBrowser(t *testing.T) {
	s := startDeviceServer(t)
	out, done := runDeviceLogin(t, s.URL)
	code := waitUserCode(t, out)
	if !strings.Contains(out.String(), s.URL+"/device?code="+code) {
		t.Fatalf("the URL to open is not shown: %q", out.String())
	}
	deviceCall(t, s.URL, "POST", "/api/v1/device/approve", s.cookie, `{"userCode":"`+code+`"}`, http.StatusOK)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	c, err := client.New(s.URL, r.key, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if me, err := c.Me(context.Background()); err != nil || me.Email != "ada@example.com" {
		t.Fatalf("the key from the device login: %+v, %v", me, err)
	}
}

func TestDeviceLoginDeniedInTheBrowserSaysSo(t *testing.T) {
	s := startDeviceServer(t)
	out, done := runDeviceLogin(t, s.URL)
	code := waitUserCode(t, out)
	deviceCall(t, s.URL, "POST", "/api/v1/device/deny", s.cookie, `{"userCode":"`+code+`"}`, http.StatusNoContent)
	if r := <-done; r.err == nil || !strings.Contains(r.err.Error(), "denied") || r.key != "" {
		t.Fatalf("a denied login returned %q, %v", r.key, r.err)
	}
}

func TestDeviceLoginToAServerWithoutItSaysUseKey(t *testing.T) {
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]string{"error": "not_found", "message": "no such route"})
	}))
	defer old.Close()
	_, done := runDeviceLogin(t, old.URL)
	if r := <-done; r.err == nil || !strings.Contains(r.err.Error(), "--key") {
		t.Fatalf("got %q, %v", r.key, r.err)
	}
}

// TestLoginWithoutKeyLogsInThroughTheBrowser runs the real binary: `warren
// login --server URL` with no key waits for the approval, saves the key,
// and the next command uses it.
func TestLoginWithoutKeyLogsInThroughTheBrowser(t *testing.T) {
	s := startDeviceServer(t)
	env := warrentest.CLIEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, warrentest.Bin(), "login", "--server", s.URL)
	cmd.Env = warrentest.ChildEnv(env...)
	stdout, stderr := &warrentest.LockedBuffer{}, &warrentest.LockedBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	code := waitUserCode(t, stderr)
	deviceCall(t, s.URL, "POST", "/api/v1/device/approve", s.cookie, `{"userCode":"`+code+`"}`, http.StatusOK)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("warren login: %v\nstdout %s\nstderr %s", err, stdout, stderr)
	}
	if !strings.Contains(stdout.String(), "Logged in to "+s.URL+" as ada@example.com") {
		t.Fatalf("stdout %q", stdout.String())
	}
	// The saved key is the one the approval minted.
	if out := warrentest.CLIOK(t, env, "keys"); !strings.Contains(out, "warren login on 127.0.0.1") {
		t.Fatalf("warren keys after a device login:\n%s", out)
	}
}
