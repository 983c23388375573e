package edge

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

// TestVisitorSecretsStayOutOfTheLog: a visitor's credentials and cookies
// (and the local service's Set-Cookie) never enter the immutable log; the
// detail and a replay carry them while the bodies are retained, and once
// retention prunes the bodies they are gone everywhere.
func TestVisitorSecretsStayOutOfTheLog(t *testing.T) {
	te := MustEdge(t, func(c *Config) { c.SensitiveHeaders = []string{"x-api-key"} })
	acc, key := te.MustAccount(t, "secrets@example.com", "pro")
	type seen struct{ auth, cookie, apiKey string }
	got := make(chan seen, 10)
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Header.Get("Authorization"), r.Header.Get("Cookie"), r.Header.Get("X-Api-Key")}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "set-cookie-secret"})
		w.Write([]byte("ok"))
	}))
	ag := te.MustAgent(t, key)
	MustOpenHTTP(t, ag, origin, "sealed")
	req, _ := http.NewRequest("GET", te.url("sealed", "/me"), nil)
	req.Header.Set("Authorization", "Bearer secret")
	req.Header.Set("Cookie", "session=cookie-secret")
	req.Header.Set("X-Api-Key", "api-key-secret")
	req.Header.Set("X-Plain", "visible")
	res, err := te.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if s := <-got; s.auth != "Bearer secret" {
		t.Fatalf("origin saw %+v", s)
	}
	id := te.waitCaptured(t, acc, 1)[0].ID
	secrets := [][]byte{[]byte("Bearer secret"), []byte("cookie-secret"), []byte("set-cookie-secret"), []byte("api-key-secret")}

	// logHolds reports which secrets the stored events hold, raw bytes.
	logHolds := func() []string {
		var found []string
		if err := te.log.DB().View(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("events")).ForEach(func(_, v []byte) error {
				for _, s := range secrets {
					if bytes.Contains(v, s) {
						found = append(found, string(s))
					}
				}
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		return found
	}
	if found := logHolds(); found != nil {
		t.Fatalf("the log holds %q", found)
	}

	cr := te.request(t, acc, id)
	if a := http.Header(cr.ReqHeaders).Get("Authorization"); a != "Bearer secret" {
		t.Fatalf("detail Authorization %q", a)
	}
	if c := http.Header(cr.RespHeaders).Get("Set-Cookie"); c != "sid=set-cookie-secret" {
		t.Fatalf("detail Set-Cookie %q", c)
	}
	if v, k := http.Header(cr.ReqHeaders).Get("X-Plain"), http.Header(cr.ReqHeaders).Get("X-Api-Key"); v != "visible" || k != "api-key-secret" {
		t.Fatalf("detail X-Plain %q, X-Api-Key %q", v, k)
	}
	if cr.Secrets == nil || !cr.Secrets.Available || len(cr.Secrets.Request) != 3 || len(cr.Secrets.Response) != 1 {
		t.Fatalf("detail secrets %+v", cr.Secrets)
	}
	if _, err := te.srv.Replay(context.Background(), acc, "sealed", ulid.MustParse(id), domain.ReplayOverrides{}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != (seen{"Bearer secret", "session=cookie-secret", "api-key-secret"}) {
		t.Fatalf("replay reached origin with %+v", s)
	}
	te.waitCaptured(t, acc, 2)
	if found := logHolds(); found != nil {
		t.Fatalf("after the replay, the log holds %q", found)
	}

	if _, err := te.log.Execute(context.Background(), projections.PruneBodies(acc, time.Now().Add(time.Hour), 100, nil)); err != nil {
		t.Fatal(err)
	}
	cr = te.request(t, acc, id)
	if a, c := http.Header(cr.ReqHeaders).Get("Authorization"), http.Header(cr.RespHeaders).Get("Set-Cookie"); a != "" || c != "" {
		t.Fatalf("pruned detail still shows Authorization %q, Set-Cookie %q", a, c)
	}
	if cr.Secrets == nil || cr.Secrets.Available || http.Header(cr.ReqHeaders).Get("X-Plain") != "visible" {
		t.Fatalf("pruned detail: secrets %+v, headers %v", cr.Secrets, cr.ReqHeaders)
	}
	if _, ok, err := te.log.Body(ulid.MustParse(id), events.SecretsPart); ok || err != nil {
		t.Fatalf("sealed values still stored (%v)", err)
	}
	if _, err := te.srv.Replay(context.Background(), acc, "sealed", ulid.MustParse(id), domain.ReplayOverrides{}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != (seen{}) {
		t.Fatalf("replay after pruning reached origin with %+v", s)
	}
	te.waitCaptured(t, acc, 3)
	if _, err := te.log.Execute(context.Background(), projections.PruneBodies(acc, time.Now().Add(time.Hour), 100, nil)); err != nil {
		t.Fatal(err)
	}
	if err := te.log.DB().View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				for _, s := range secrets {
					if bytes.Contains(v, s) {
						t.Errorf("bucket %s key %x still holds %q", name, k, s)
					}
				}
				return nil
			})
		})
	}); err != nil {
		t.Fatal(err)
	}
}
