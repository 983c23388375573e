package httpapi

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
)

type auditPage struct {
	Events []struct {
		ID      string          `json:"id"`
		Type    string          `json:"type"`
		Account string          `json:"account"`
		At      time.Time       `json:"at"`
		Data    json.RawMessage `json:"data"`
	} `json:"events"`
	Next *string `json:"next_page_uri"`
}

// hexDigest finds SHA-256-sized hex strings (key hashes, body digests).
var hexDigest = regexp.MustCompile(`[0-9a-fA-F]{64}`)

// noSecrets fails if an API response shows a key secret or a digest.
func noSecrets(tb testing.TB, b []byte) {
	tb.Helper()
	if strings.Contains(string(b), "ak_") || hexDigest.Match(b) || strings.Contains(string(b), `"hash"`) {
		tb.Fatalf("secret or digest in response: %s", b)
	}
}

// getEvents reads one page and checks it holds no secrets.
func (e *testEnv) getEvents(tb testing.TB, path, key string) auditPage {
	tb.Helper()
	st, _, b := e.do(tb, "GET", path, key, "")
	wantStatus(tb, st, 200, b)
	noSecrets(tb, b)
	var p auditPage
	mustJSON(tb, b, &p)
	return p
}

func TestAudit_Events(t *testing.T) {
	e := mustEnv(t)
	a, ka := e.account(t, "a@example.com", "pro", false)
	b, kb := e.account(t, "b@example.com", "pro", false)
	_, ko := e.account(t, "op@example.com", "pro", true)

	// State changes through the API, as A and as the operator on A.
	call := func(method, path, key, body string, want int) []byte {
		t.Helper()
		st, _, out := e.do(t, method, path, key, body)
		wantStatus(t, st, want, out)
		return out
	}
	call("POST", "/api/v1/me/reservations", ka, `{"subdomain":"audit-a"}`, 201)
	call("DELETE", "/api/v1/me/reservations/audit-a", ka, "", 204)
	var key struct{ ID string }
	mustJSON(t, call("POST", "/v1/keys", ka, `{"description":"ci"}`, 201), &key)
	call("DELETE", "/v1/keys/"+key.ID, ka, "", 204)
	var dom struct{ ID string }
	mustJSON(t, call("POST", "/v1/domains", ka, `{"name":"audit.example.org"}`, 201), &dom)
	call("DELETE", "/v1/domains/"+dom.ID, ka, "", 204)
	call("PATCH", "/api/v1/admin/accounts/"+a, ko, `{"plan":"free"}`, 200)
	call("POST", "/api/v1/me/reservations", kb, `{"subdomain":"audit-b"}`, 201)
	// A captured request whose event carries body digests: they must not show.
	tun := e.tunnel(t, a, "alpha", 0)
	d := captureDraft(a, tun, "alpha", 1, []byte("req"), []byte("resp"))
	cr := d.Data.(domain.CapturedRequest)
	cr.ReqBody.SHA256 = strings.Repeat("ab", 32)
	cr.RespBody.SHA256 = strings.Repeat("cd", 32)
	d.Data = cr
	if _, err := e.log.Append(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	st, _, out := e.do(t, "DELETE", "/api/v1/me/tunnels/alpha", ka, "")
	if st != 204 && st != 200 {
		t.Fatalf("closing the tunnel: %d %s", st, out)
	}
	var created struct{ ID string }
	mustJSON(t, call("POST", "/api/v1/admin/accounts", ko, `{"email":"new@example.com","name":"New","plan":"free"}`, 201), &created)

	t.Run("EveryChangeWithItsAccount", func(t *testing.T) {
		p := e.getEvents(t, "/api/v1/me/events", ka)
		got := map[string]int{}
		for i, ev := range p.Events {
			if ev.Account != a {
				t.Fatalf("A sees event %s of account %q", ev.ID, ev.Account)
			}
			if i > 0 && ev.ID >= p.Events[i-1].ID {
				t.Fatalf("not newest first at %d: %s after %s", i, ev.ID, p.Events[i-1].ID)
			}
			got[ev.Type]++
		}
		for _, typ := range []events.Type{events.AccountCreated, events.KeyCreated, events.KeyRevoked,
			events.ReservationCreated, events.ReservationReleased, events.DomainAdded, events.DomainRemoved,
			events.AccountPlanChanged, events.TunnelOpened, events.RequestCaptured, events.TunnelClosed} {
			if got[string(typ)] == 0 {
				t.Errorf("no %s event for A; got %v", typ, got)
			}
		}
		if got["key.created"] != 2 {
			t.Errorf("key.created %d, want 2 (first key and ci)", got["key.created"])
		}
	})
	t.Run("KeyCreatedWithoutHash", func(t *testing.T) {
		p := e.getEvents(t, "/api/v1/me/events?type=key.created", ka)
		for _, ev := range p.Events {
			var m map[string]any
			mustJSON(t, ev.Data, &m)
			if _, ok := m["hash"]; ok || m["keyId"] == nil || m["prefix"] != nil {
				t.Fatalf("key.created data %s", ev.Data)
			}
		}
	})
	t.Run("BNeverSeesA", func(t *testing.T) {
		st, _, raw := e.do(t, "GET", "/api/v1/me/events", kb, "")
		wantStatus(t, st, 200, raw)
		if strings.Contains(string(raw), a) || strings.Contains(string(raw), "audit-a") || strings.Contains(string(raw), "alpha") {
			t.Fatalf("B sees A's things: %s", raw)
		}
		aPage := e.getEvents(t, "/api/v1/me/events?limit=1", ka)
		st, _, raw = e.do(t, "GET", "/api/v1/me/events?before_id="+aPage.Events[0].ID, kb, "")
		wantError(t, st, raw, 400, "invalid")
		p := e.getEvents(t, "/api/v1/me/events", kb)
		if len(p.Events) != 3 { // account.created, key.created, reservation.created
			t.Fatalf("B has %d events: %+v", len(p.Events), p.Events)
		}
		for _, ev := range p.Events {
			if ev.Account != b {
				t.Fatalf("B sees %s of %q", ev.ID, ev.Account)
			}
		}
	})
	t.Run("TypePrefix", func(t *testing.T) {
		p := e.getEvents(t, "/api/v1/me/events?type=key.", ka)
		if len(p.Events) != 3 {
			t.Fatalf("key.* events: %d, want 3", len(p.Events))
		}
		for _, ev := range p.Events {
			if !strings.HasPrefix(ev.Type, "key.") {
				t.Fatalf("type filter let %s through", ev.Type)
			}
		}
	})
	t.Run("Paging", func(t *testing.T) {
		all := e.getEvents(t, "/api/v1/me/events", ka)
		var ids []string
		next := "/api/v1/me/events?limit=3"
		for pages := 0; next != ""; pages++ {
			if pages > 20 {
				t.Fatal("paging does not end")
			}
			p := e.getEvents(t, next, ka)
			if len(p.Events) > 3 {
				t.Fatalf("page of %d", len(p.Events))
			}
			for _, ev := range p.Events {
				ids = append(ids, ev.ID)
			}
			next = ""
			if p.Next != nil {
				next = *p.Next
			}
		}
		if len(ids) != len(all.Events) {
			t.Fatalf("paged %d events, one page holds %d", len(ids), len(all.Events))
		}
		for i := range ids {
			if ids[i] != all.Events[i].ID {
				t.Fatalf("page order differs at %d", i)
			}
		}
	})
	t.Run("SinceUntil", func(t *testing.T) {
		all := e.getEvents(t, "/api/v1/me/events", ka)
		mid := all.Events[len(all.Events)/2].At
		newer := e.getEvents(t, "/api/v1/me/events?since="+url.QueryEscape(mid.Format(time.RFC3339Nano)), ka)
		older := e.getEvents(t, "/api/v1/me/events?until="+url.QueryEscape(mid.Format(time.RFC3339Nano)), ka)
		if len(newer.Events)+len(older.Events) != len(all.Events) || len(newer.Events) == 0 || len(older.Events) == 0 {
			t.Fatalf("since %d + until %d != %d", len(newer.Events), len(older.Events), len(all.Events))
		}
		for _, ev := range newer.Events {
			if ev.At.Before(mid) {
				t.Fatalf("since let %s (%s) through", ev.ID, ev.At)
			}
		}
		for _, ev := range older.Events {
			if !ev.At.Before(mid) {
				t.Fatalf("until let %s (%s) through", ev.ID, ev.At)
			}
		}
	})
	t.Run("ErrBadParams", func(t *testing.T) {
		for _, q := range []string{"since=yesterday", "until=2026-13-01", "before_id=nope", "limit=0"} {
			st, _, raw := e.do(t, "GET", "/api/v1/me/events?"+q, ka, "")
			wantError(t, st, raw, 400, "invalid")
		}
	})
	t.Run("Admin", func(t *testing.T) {
		p := e.getEvents(t, "/api/v1/admin/events?limit=100", ko)
		accs := map[string]bool{}
		for _, ev := range p.Events {
			accs[ev.Account] = true
		}
		if !accs[a] || !accs[b] || !accs[created.ID] {
			t.Fatalf("operator sees accounts %v", accs)
		}
		st, _, raw := e.do(t, "GET", "/api/v1/admin/events", ka, "")
		wantError(t, st, raw, 403, "forbidden")
	})
	t.Run("ErrNoKey", func(t *testing.T) {
		st, _, raw := e.do(t, "GET", "/api/v1/me/events", "", "")
		wantError(t, st, raw, 401, "unauthorized")
	})
}

func TestAudit_Stream(t *testing.T) {
	e := mustEnv(t)
	a, ka := e.account(t, "a@example.com", "pro", false)
	_, kb := e.account(t, "b@example.com", "pro", false)

	next := func(t *testing.T, c *sseConn) sseEvent {
		t.Helper()
		timer := time.AfterFunc(10*time.Second, c.close)
		defer timer.Stop()
		for {
			ev, err := c.next()
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			if ev.comment == "" {
				return ev
			}
		}
	}
	c := e.openSSE(t, "/api/v1/me/events/stream", ka, "")
	defer c.close()
	// B's change must not reach A's stream; A's next change must.
	if st, _, raw := e.do(t, "POST", "/api/v1/me/reservations", kb, `{"subdomain":"stream-b"}`); st != 201 {
		t.Fatalf("%d %s", st, raw)
	}
	if st, _, raw := e.do(t, "POST", "/api/v1/me/reservations", ka, `{"subdomain":"stream-a"}`); st != 201 {
		t.Fatalf("%d %s", st, raw)
	}
	first := next(t, c)
	var data struct {
		ID, Type, Account string
		Data              map[string]any
	}
	mustJSON(t, []byte(first.data), &data)
	if first.event != "reservation.created" || data.Account != a || data.Data["subdomain"] != "stream-a" || data.ID != first.id {
		t.Fatalf("first frame %+v", first)
	}
	t.Run("LastEventID", func(t *testing.T) {
		st, _, raw := e.do(t, "DELETE", "/api/v1/me/reservations/stream-a", ka, "")
		wantStatus(t, st, 204, raw)
		c2 := e.openSSE(t, "/api/v1/me/events/stream", ka, first.id)
		defer c2.close()
		ev := next(t, c2)
		if ev.event != "reservation.released" || ev.id <= first.id {
			t.Fatalf("resumed frame %+v", ev)
		}
		noSecrets(t, []byte(ev.data))
	})
}
