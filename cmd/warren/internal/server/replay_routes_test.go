package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge/agent"
	"warren/httpapi"
	"warren/projections"
)

// TestReplayRoutes drives replay and the one-request export through the
// whole server in-process, as `serve` wires it: the API (httpapi) serves
// both routes, the edge sends a replay through a real agent's tunnel.
func TestReplayRoutes(t *testing.T) {
	m := NewMain(Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Domain: "warren.test",
		OperatorEmail: "root@warren.test", Stdout: io.Discard})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	acc, key := mustServeAccount(t, m, "replay@example.com")
	_, keyB := mustServeAccount(t, m, "other@example.com")

	type seen struct {
		method, path, sig, ct string
		body                  string
	}
	got := make(chan seen, 100)
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.RequestURI(), r.Header.Get("Stripe-Signature"), r.Header.Get("Content-Type"), string(b)}
		w.WriteHeader(201)
		io.WriteString(w, "ok")
	})}
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go origin.Serve(oln)
	t.Cleanup(func() { origin.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ag, err := agent.Dial(ctx, agent.Options{Server: "http://" + m.Addr(), Key: key,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ag.Close(ctx)
	})
	if _, err := ag.OpenHTTP(ctx, oln.Addr().String(), "replay-me"); err != nil {
		t.Fatal(err)
	}

	client := &http.Client{Timeout: 30 * time.Second}
	// api calls the API on the server's IP literal, which the edge hands to the API.
	api := func(t *testing.T, method, path, key, ct, body string) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, "http://"+m.Addr()+path, rd)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}

	pub, _ := http.NewRequest("POST", "http://"+m.Addr()+"/hook?a=1", strings.NewReader(`{"id":"evt_1"}`))
	pub.Host = "replay-me.warren.test"
	pub.Header.Set("Stripe-Signature", "t=1,v1=abc")
	pub.Header.Set("Content-Type", "application/json")
	res, err := client.Do(pub)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	first := <-got
	orig := waitCapture(t, m, acc)
	replay := "/api/v1/me/tunnels/replay-me/requests/req_" + orig + "/replay"

	t.Run("HTTPRoute", func(t *testing.T) {
		st, body := api(t, "POST", replay, key, "application/json", `{"path":"/via-api"}`)
		if st != 201 || !strings.Contains(string(body), `"replayOf":"req_`+orig) {
			t.Fatalf("status %d body %s", st, body)
		}
		var j struct {
			ID, Tunnel, Path string
			Status           int
		}
		if err := json.Unmarshal(body, &j); err != nil || !strings.HasPrefix(j.ID, "req_") || j.ID == "req_"+orig ||
			j.Tunnel != "replay-me" || j.Path != "/via-api" || j.Status != 201 {
			t.Fatalf("answer %+v (%v): %s", j, err, body)
		}
		if s := <-got; s.path != "/via-api" {
			t.Fatalf("origin saw %+v", s)
		}
	})
	t.Run("Identical", func(t *testing.T) {
		st, body := api(t, "POST", replay, key, "", "")
		if st != 201 {
			t.Fatalf("status %d body %s", st, body)
		}
		if again := <-got; again != first {
			t.Fatalf("replay reached origin as %+v, want %+v", again, first)
		}
	})
	t.Run("ContentTypes", func(t *testing.T) {
		// curl -d '{…}' sends the form type: a body that parses as JSON is JSON.
		for _, tc := range []struct {
			ct, body string
			want     int
		}{
			{"application/x-www-form-urlencoded", `{"path":"/via-curl"}`, 201},
			{"", `{"path":"/via-curl"}`, 201},
			{"application/x-www-form-urlencoded", `path=/x`, 415},
			{"text/plain", `{"path":"/x"}`, 415},
		} {
			st, body := api(t, "POST", replay, key, tc.ct, tc.body)
			if st != tc.want {
				t.Fatalf("%q %s: status %d body %s, want %d", tc.ct, tc.body, st, body, tc.want)
			}
			if tc.want == 201 {
				if s := <-got; s.path != "/via-curl" {
					t.Fatalf("origin saw %+v", s)
				}
			}
		}
	})
	t.Run("ErrOtherAccount404", func(t *testing.T) {
		st, body := api(t, "POST", replay, keyB, "", "")
		if st != 404 || !strings.Contains(string(body), `"error":"not_found"`) {
			t.Fatalf("status %d body %s", st, body)
		}
	})
	t.Run("ErrOtherTunnel404", func(t *testing.T) {
		st, body := api(t, "POST", "/api/v1/me/tunnels/elsewhere/requests/req_"+orig+"/replay", key, "", "")
		if st != 404 || !strings.Contains(string(body), `"error":"not_found"`) {
			t.Fatalf("status %d body %s", st, body)
		}
	})
	t.Run("Export", func(t *testing.T) {
		st, body := api(t, "GET", "/api/v1/me/requests/req_"+orig+"/export", key, "", "")
		if st != 200 {
			t.Fatalf("status %d body %s", st, body)
		}
		// Decoded as `warren replay --to` decodes it.
		var ex httpapi.RequestExport
		if err := json.Unmarshal(body, &ex); err != nil {
			t.Fatal(err)
		}
		cr := ex.Request
		if cr.ID != "req_"+orig || cr.Method != "POST" || cr.Path != "/hook?a=1" || cr.Host != "replay-me.warren.test" ||
			http.Header(cr.ReqHeaders).Get("Stripe-Signature") != "t=1,v1=abc" || cr.ReqBody.Size != int64(len(`{"id":"evt_1"}`)) {
			t.Fatalf("request %+v", cr)
		}
		if b, err := base64.StdEncoding.DecodeString(ex.RequestBody); err != nil || string(b) != `{"id":"evt_1"}` {
			t.Fatalf("requestBody %q (%v)", ex.RequestBody, err)
		}
		if st, body := api(t, "GET", "/api/v1/me/requests/req_"+orig+"/export", keyB, "", ""); st != 404 || !strings.Contains(string(body), `"error":"not_found"`) {
			t.Fatalf("another account's export: status %d body %s", st, body)
		}
		if st, body := api(t, "GET", "/api/v1/me/requests/req_"+orig+"/export", "", "", ""); st != 401 {
			t.Fatalf("no key: status %d body %s", st, body)
		}
	})
	t.Run("ErrPrunedBody410", func(t *testing.T) {
		// Pro keeps bodies 90 days: sweep as if 91 days had passed.
		if _, err := projections.SweepBodies(context.Background(), m.Log, time.Now().Add(91*24*time.Hour), 100, 0); err != nil {
			t.Fatal(err)
		}
		st, body := api(t, "POST", replay, key, "", "")
		if st != 410 || !strings.Contains(string(body), `"error":"gone"`) || !strings.Contains(string(body), "pruned by retention") {
			t.Fatalf("status %d body %s", st, body)
		}
		st, body = api(t, "POST", replay, key, "application/json", `{"body":"explicit"}`)
		if st != 201 {
			t.Fatalf("with a body override: status %d body %s", st, body)
		}
		if s := <-got; s.body != "explicit" {
			t.Fatalf("origin saw %+v", s)
		}
		// The export says nothing is stored; the capture still has the size.
		st, body = api(t, "GET", "/api/v1/me/requests/req_"+orig+"/export", key, "", "")
		var ex httpapi.RequestExport
		if st != 200 || json.Unmarshal(body, &ex) != nil || ex.RequestBody != "" || ex.Request.ReqBody.Size == 0 {
			t.Fatalf("export after pruning: status %d body %s", st, body)
		}
	})
	t.Run("ErrOffline409", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ag.Close(ctx)
		// The edge unroutes a tunnel before it records the close, so once
		// the live list lacks it, the edge has let it go.
		deadline := time.Now().Add(5 * time.Second)
		for {
			st, body := api(t, "GET", "/api/v1/me/tunnels", key, "", "")
			if st == 200 && !strings.Contains(string(body), "replay-me") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the tunnel stayed live: %d %s", st, body)
			}
			time.Sleep(10 * time.Millisecond)
		}
		st, body := api(t, "POST", replay, key, "application/json", `{"body":"x"}`)
		if st != 409 || !strings.Contains(string(body), `"error":"conflict"`) {
			t.Fatalf("status %d body %s", st, body)
		}
	})
}

// mustServeAccount creates a pro account with a key on m's log.
func mustServeAccount(t *testing.T, m *Main, email string) (string, string) {
	t.Helper()
	secret, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := m.Log.Execute(context.Background(), projections.CreateAccount(projections.NewAccount{
		Email: email, Plan: "pro", KeyHash: domain.HashKeySecret(secret), KeyPrefix: domain.KeyShownPrefix(secret)}))
	if err != nil {
		t.Fatal(err)
	}
	return projections.AccountIDFromEvents(evs), secret
}

// waitCapture waits for the account's first captured request and returns its ULID.
func waitCapture(t *testing.T, m *Main, acc string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var rs []domain.CapturedRequest
		if err := m.Log.DB().View(func(tx *bolt.Tx) error {
			var err error
			rs, err = projections.Requests(tx, acc, "", ulid.ULID{}, 10)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(rs) == 1 {
			return rs[0].ID
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d captured requests, want 1", len(rs))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
