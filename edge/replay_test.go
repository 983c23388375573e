package edge

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/projections"
)

// TestServer_Replay drives Replay directly. The HTTP route that calls it
// (auth, overrides decoding, error JSON) is httpapi's; its end-to-end tests
// through a real edge are in cmd/warren/replay_routes_test.go.
func TestServer_Replay(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "replay@example.com", "pro")
	accB, _ := te.MustAccount(t, "other@example.com", "pro")
	type seen struct {
		method, path, sig, ct string
		body                  string
	}
	got := make(chan seen, 10)
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.RequestURI(), r.Header.Get("Stripe-Signature"), r.Header.Get("Content-Type"), string(b)}
		w.WriteHeader(201)
		io.WriteString(w, "ok")
	}))
	ag := te.MustAgent(t, key)
	MustOpenHTTP(t, ag, origin, "replay-me")
	req, _ := http.NewRequest("POST", te.url("replay-me", "/hook?a=1"), strings.NewReader(`{"id":"evt_1"}`))
	req.Header.Set("Stripe-Signature", "t=1,v1=abc")
	req.Header.Set("Content-Type", "application/json")
	res, err := te.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	first := <-got
	orig := te.waitCaptured(t, acc, 1)[0]
	id := ulid.MustParse(orig.ID)

	t.Run("Identical", func(t *testing.T) {
		cr, err := te.srv.Replay(context.Background(), acc, "replay-me", id, domain.ReplayOverrides{})
		if err != nil {
			t.Fatal(err)
		}
		again := <-got
		if again != first {
			t.Fatalf("replay reached origin as %+v, want %+v", again, first)
		}
		if cr.ReplayOf != "req_"+orig.ID || cr.Status != 201 || cr.ID == "" {
			t.Fatalf("replay capture %+v", cr)
		}
	})
	t.Run("Overrides", func(t *testing.T) {
		m, p, b := "PUT", "/other?b=2", "new body"
		_, err := te.srv.Replay(context.Background(), acc, "replay-me", id, domain.ReplayOverrides{Method: &m, Path: &p, Body: &b,
			Headers: map[string]string{"Stripe-Signature": "t=2,v1=def"}})
		if err != nil {
			t.Fatal(err)
		}
		again := <-got
		want := seen{"PUT", "/other?b=2", "t=2,v1=def", "application/json", "new body"}
		if again != want {
			t.Fatalf("override replay reached origin as %+v", again)
		}
	})
	t.Run("ErrOtherAccount", func(t *testing.T) {
		_, err := te.srv.Replay(context.Background(), accB, "replay-me", id, domain.ReplayOverrides{})
		if domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("ErrOtherTunnel", func(t *testing.T) {
		_, err := te.srv.Replay(context.Background(), acc, "not-replay-me", id, domain.ReplayOverrides{})
		if domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("ErrBadPath", func(t *testing.T) {
		p := "no-slash"
		_, err := te.srv.Replay(context.Background(), acc, "replay-me", id, domain.ReplayOverrides{Path: &p})
		if domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("ErrPrunedBody410", func(t *testing.T) {
		// Pro keeps bodies 90 days: sweep as if 91 days had passed.
		if _, err := projections.SweepBodies(context.Background(), te.log, time.Now().Add(91*24*time.Hour), 100, 0); err != nil {
			t.Fatal(err)
		}
		_, err := te.srv.Replay(context.Background(), acc, "replay-me", id, domain.ReplayOverrides{})
		if domain.ErrorCode(err) != domain.CodeGone || !strings.Contains(err.Error(), "pruned by retention") {
			t.Fatalf("err %v", err)
		}
		b := "explicit"
		if _, err := te.srv.Replay(context.Background(), acc, "replay-me", id, domain.ReplayOverrides{Body: &b}); err != nil {
			t.Fatalf("with a body override: %v", err)
		}
		if s := <-got; s.body != "explicit" {
			t.Fatalf("origin saw %+v", s)
		}
	})
	t.Run("ErrOffline409", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ag.Close(ctx)
		eventually(t, 5*time.Second, "tunnel closed", func() bool { return te.srv.tunnelFor(acc, "replay-me") == nil })
		_, err := te.srv.Replay(context.Background(), acc, "replay-me", id, domain.ReplayOverrides{})
		if domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("err %v", err)
		}
	})
}
