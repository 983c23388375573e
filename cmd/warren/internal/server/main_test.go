package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
	"warren/projections"
)

func TestServe_FirstStartAndRestart(t *testing.T) {
	data := t.TempDir()

	t.Run("FirstStart", func(t *testing.T) {
		s := warrentest.StartServer(t, data)
		_, port, err := net.SplitHostPort(s.Addr)
		if err != nil {
			t.Fatalf("listening line %q: %v", s.Addr, err)
		}
		if want := "http://localhost:" + port; s.URL != want {
			t.Errorf("URL = %q, want %q", s.URL, want)
		}
		out := s.WaitOutput(t, "/api/v1/me/plan")
		keys := warrentest.KeyRe.FindAllString(out, -1)
		if len(keys) == 0 {
			t.Fatalf("no API key printed:\n%s", out)
		}
		if err := domain.CheckKeySecret(keys[0]); err != nil {
			t.Errorf("printed key %q: %v", keys[0], err)
		}
		if !strings.Contains(out, `curl -H "Authorization: Bearer `+keys[0]+`" `+s.URL+`/api/v1/me/plan`) {
			t.Errorf("no ready-to-paste curl line:\n%s", out)
		}
		if !strings.Contains(out, "operator@localhost") {
			t.Errorf("operator email not shown:\n%s", out)
		}
		code, body := warrentest.GetHealthz(t, s.Addr)
		if code != http.StatusOK || strings.TrimSpace(body) != `{"status":"ok"}` {
			t.Errorf("GET /healthz = %d %q", code, body)
		}
		s.Stop(t)
	})

	t.Run("RestartMakesNoSecondOperator", func(t *testing.T) {
		s := warrentest.StartServer(t, data)
		if code, _ := warrentest.GetHealthz(t, s.Addr); code != http.StatusOK {
			t.Errorf("GET /healthz after restart = %d", code)
		}
		out := s.Stop(t)
		if warrentest.KeyRe.MatchString(out) {
			t.Errorf("restart printed a key:\n%s", out)
		}
		list := warrentest.MustRun(t, "admin", "account", "list", "--data", data)
		if n := strings.Count(list.Stdout, "operator@localhost"); n != 1 {
			t.Errorf("%d operator accounts listed, want 1:\n%s", n, list.Stdout)
		}
		if n := strings.Count(strings.TrimSpace(list.Stdout), "\n"); n != 1 {
			t.Errorf("%d accounts listed, want 1:\n%s", n, list.Stdout)
		}
	})
}

// TestServer_Run drives Main in-process, as the other packages' tests will
// when the API and edge are mounted.
func TestServer_Run(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		var stdout bytes.Buffer
		m := NewMain(Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Domain: "warren.test",
			OperatorEmail: "root@warren.test", Stdout: &stdout})
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		resp, err := http.Get("http://" + m.Addr() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || body["status"] != "ok" {
			t.Errorf("GET /healthz = %d %v (%v)", resp.StatusCode, body, err)
		}
		// The edge routes by Host: the base domain reaches the API side
		// (/healthz), an unknown subdomain gets the edge's 404.
		for host, want := range map[string]int{"warren.test": http.StatusOK, "nope.warren.test": http.StatusNotFound} {
			req, _ := http.NewRequest("GET", "http://"+m.Addr()+"/healthz", nil)
			req.Host = host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("GET /healthz with Host %s = %d, want %d", host, resp.StatusCode, want)
			}
		}
		// A path that is not clean gets the API's JSON 404, not an HTML
		// redirect (net/http's ServeMux would send one).
		for _, p := range []string{"/api/v1//me/plan", "/api/v1/me/../me/plan", "/api/v1/./me/plan"} {
			req, _ := http.NewRequest("GET", "http://"+m.Addr()+"/", nil)
			req.URL.Opaque = p // sent as is
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e struct{ Error string }
			json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || e.Error != "not_found" {
				t.Errorf("GET %s = %d %q, want a JSON 404", p, resp.StatusCode, e.Error)
			}
		}
		if !strings.Contains(stdout.String(), "Warren is running at http://warren.test:"+portOf(m.Addr())+"\n") {
			t.Errorf("stdout:\n%s", stdout.String())
		}
		key := warrentest.KeyRe.FindString(stdout.String())
		var acc domain.Account
		if err := m.Log.DB().View(func(tx *bolt.Tx) error {
			k, err := projections.KeyByHash(tx, domain.HashKeySecret(key))
			if err != nil {
				return err
			}
			acc, err = projections.Account(tx, k.AccountID)
			return err
		}); err != nil {
			t.Fatalf("printed key %q does not find its account: %v", key, err)
		}
		if acc.Email != "root@warren.test" || !acc.Operator || acc.Plan != domain.PlanPro {
			t.Errorf("operator account = %+v", acc)
		}
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})

	t.Run("ErrAddrInUse", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		data := t.TempDir()
		m := NewMain(Config{DataDir: data, Addr: ln.Addr().String(), Domain: "localhost"})
		if err := m.Run(context.Background()); err == nil {
			m.Close()
			t.Fatal("Run on a taken address succeeded")
		}
		// Run closed what it opened: the data dir is free again.
		r := warrentest.Run(t, nil, "events", "verify", "--data", data)
		if r.Code != 0 {
			t.Errorf("events verify after a failed Run: exit %d: %s", r.Code, r.Stderr)
		}
	})
}

// TestServe_RebuildsDroppedProjections: projections are disposable; a
// server started on a log whose projection buckets are gone rebuilds them.
func TestServe_RebuildsDroppedProjections(t *testing.T) {
	data := t.TempDir()
	warrentest.SeedAccounts(t, data, 3)
	db, err := bolt.Open(filepath.Join(data, "warren.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dropped := 0
	err = db.Update(func(tx *bolt.Tx) error {
		var names [][]byte
		tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if strings.HasPrefix(string(name), projections.Prefix) {
				names = append(names, append([]byte(nil), name...))
			}
			return nil
		})
		for _, n := range names {
			if err := tx.DeleteBucket(n); err != nil {
				return err
			}
			dropped++
		}
		return nil
	})
	db.Close()
	if err != nil || dropped == 0 {
		t.Fatalf("dropping projections: %v (%d dropped)", err, dropped)
	}
	s := warrentest.StartServer(t, data)
	out := s.Stop(t)
	if warrentest.KeyRe.MatchString(out) {
		t.Errorf("a non-empty log got an operator:\n%s", out)
	}
	// Read the file directly: any offline command would rebuild them too.
	db, err = bolt.Open(filepath.Join(data, "warren.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var accs []domain.Account
	if err := db.View(func(tx *bolt.Tx) error {
		accs, err = projections.Accounts(tx, "", 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(accs) != 3 {
		t.Errorf("%d accounts in the rebuilt projection, want 3: %+v", len(accs), accs)
	}
}

// TestServer_Close: an open SSE stream must not hold shutdown for the grace
// period; the stream is ended and Close returns.
func TestServer_Close(t *testing.T) {
	t.Run("EndsStreams", func(t *testing.T) {
		var stdout bytes.Buffer
		m := NewMain(Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Domain: "localhost",
			Stdout: &stdout, ShutdownGrace: time.Minute})
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		key := warrentest.KeyRe.FindString(stdout.String())
		req, _ := http.NewRequest("GET", "http://"+m.Addr()+"/api/v1/me/tunnels/demo/requests/stream", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			m.Close()
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			m.Close()
			t.Fatalf("stream answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		closed := make(chan error, 1)
		go func() { closed <- m.Close() }()
		// The grace period is a minute: returning well within the 10 s bound
		// means the stream was ended, not waited for.
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("Close: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Close waited on an open event stream")
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Logf("stream ended with %v", err)
		}
	})
}

// TestServe_BadFlags: a bad setting is a usage error (exit 2) naming the
// flag, before anything is opened.
func TestServe_BadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--retain-events", "-1"}, "--retain-events"},
		{[]string{"--retain-events", "week"}, "--retain-events"},
		{[]string{"--scheme", "gopher"}, "--scheme"},
		{[]string{"--tcp-ports", "9-1"}, "--tcp-ports"},
		{[]string{"--public-port", "0"}, "--public-port"},
		{[]string{"--dns-resolver", "no-port"}, "--dns-resolver"},
	} {
		data := t.TempDir()
		r := warrentest.Run(t, nil, append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, tc.args...)...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("serve %v: exit %d, stderr %q; want 2 naming %s", tc.args, r.Code, r.Stderr, tc.want)
		}
		if _, err := os.Stat(filepath.Join(data, "warren.db")); err == nil {
			t.Errorf("serve %v created a log before refusing its flags", tc.args)
		}
	}
}
