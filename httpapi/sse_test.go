package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/events"
)

// sseConn is a test client's open stream.
type sseConn struct {
	resp   *http.Response
	sc     *bufio.Scanner
	cancel context.CancelFunc
}

// openSSE connects; it returns once the response headers arrived, i.e. the
// server has subscribed.
func (e *testEnv) openSSE(tb testing.TB, path, key, lastID string) *sseConn {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+path, nil)
	if ck, ok := strings.CutPrefix(key, "Cookie: "); ok { // a dashboard session instead of a key
		req.Header.Set("Cookie", ck)
	} else {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		tb.Fatalf("stream status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &sseConn{resp: resp, sc: sc, cancel: cancel}
}

func (c *sseConn) close() { c.cancel(); c.resp.Body.Close() }

// sseEvent is one parsed SSE frame; comment holds a ":" line's text.
type sseEvent struct {
	event, id, data, comment string
}

// next reads one frame (event or comment block).
func (c *sseConn) next() (sseEvent, error) {
	var ev sseEvent
	seen := false
	for c.sc.Scan() {
		line := c.sc.Text()
		if line == "" {
			if seen {
				return ev, nil
			}
			continue
		}
		seen = true
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimPrefix(v, " ")
		switch k {
		case "":
			ev.comment = v
		case "event":
			ev.event = v
		case "id":
			ev.id = v
		case "data":
			ev.data = v
		}
	}
	if err := c.sc.Err(); err != nil {
		return ev, err
	}
	return ev, context.Canceled
}

func TestSSE_Requests(t *testing.T) {
	t.Run("ShapeAndHeartbeat", func(t *testing.T) {
		e := mustEnv(t, func(c *Config) { c.Heartbeat = 30 * time.Millisecond })
		acc, key := e.account(t, "ada@example.com", "pro", false)
		tun := e.tunnel(t, acc, "stripe-dev", 0)
		c := e.openSSE(t, "/api/v1/me/tunnels/stripe-dev/requests/stream", key, "")
		defer c.close()
		if c.resp.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("Cache-Control %q", c.resp.Header.Get("Cache-Control"))
		}
		ev, err := c.next()
		if err != nil || ev.comment != "keepalive" {
			t.Fatalf("first frame %+v, %v; want a keepalive", ev, err)
		}
		evs, err := e.log.Append(t.Context(), captureDraft(acc, tun, "stripe-dev", 1, nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		for ev.comment != "" {
			if ev, err = c.next(); err != nil {
				t.Fatal(err)
			}
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(ev.data), &d); err != nil {
			t.Fatal(err)
		}
		if ev.event != "request" || ev.id != evs[0].ID.String() || d["id"] != "req_"+ev.id || d["method"] != "GET" || d["path"] != "/item/1" || d["status"] != 200.0 {
			t.Fatalf("event %+v", ev)
		}
	})
	t.Run("FiltersAccountAndTunnel", func(t *testing.T) {
		e := mustEnv(t)
		a, ka := e.account(t, "a@example.com", "pro", false)
		b, _ := e.account(t, "b@example.com", "pro", false)
		ta := e.tunnel(t, a, "aaa", 0)
		tb := e.tunnel(t, b, "bbb", 0)
		ta2 := e.tunnel(t, a, "aaa2", 0)
		c := e.openSSE(t, "/api/v1/me/tunnels/aaa/requests/stream", ka, "")
		defer c.close()
		var want string
		for i, d := range []events.Draft{captureDraft(b, tb, "bbb", 0, nil, nil), captureDraft(a, ta2, "aaa2", 1, nil, nil), captureDraft(a, ta, "aaa", 2, nil, nil)} {
			evs, err := e.log.Append(t.Context(), d)
			if err != nil {
				t.Fatal(err)
			}
			if i == 2 {
				want = evs[0].ID.String()
			}
		}
		ev, err := c.next()
		if err != nil || ev.id != want {
			t.Fatalf("got %+v, %v; want only %s", ev, err, want)
		}
	})
	t.Run("ErrBadLastEventID", func(t *testing.T) {
		e := mustEnv(t)
		_, key := e.account(t, "a@example.com", "pro", false)
		for _, id := range []string{"nope", "req_nope", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "req_7ZZZZZZZZZZZZZZZZZZZZZZZZZ"} {
			for _, p := range []string{"/api/v1/me/tunnels/xyz/requests/stream", "/api/v1/me/requests/stream", "/api/v1/me/events/stream"} {
				st, _, b := e.do(t, "GET", p, key, "", "Last-Event-ID", id)
				wantError(t, st, b, 400, "invalid")
				if !strings.Contains(string(b), "Last-Event-ID") {
					t.Errorf("%s with %s: %s", p, id, b)
				}
			}
		}
	})
	t.Run("ResumeExactlyOnceInOrder", func(t *testing.T) {
		e := mustEnv(t)
		acc, key := e.account(t, "ada@example.com", "pro", false)
		tun := e.tunnel(t, acc, "stripe-dev", 0)
		const total = 5000
		path := "/api/v1/me/tunnels/stripe-dev/requests/stream"
		c := e.openSSE(t, path, key, "")

		var mu sync.Mutex
		var appended []string
		errc := make(chan error, 1)
		go func() {
			rnd := rand.New(rand.NewPCG(1, 2))
			for n := 0; n < total; {
				k := min(1+rnd.IntN(40), total-n)
				drafts := make([]events.Draft, k)
				for i := range drafts {
					drafts[i] = captureDraft(acc, tun, "stripe-dev", n+i, nil, nil)
				}
				evs, err := e.log.Append(context.Background(), drafts...)
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				for _, ev := range evs {
					appended = append(appended, ev.ID.String())
				}
				mu.Unlock()
				n += k
			}
			errc <- nil
		}()

		rnd := rand.New(rand.NewPCG(3, 4))
		var got []string
		reconnects := 0
		deadline := time.Now().Add(60 * time.Second)
		for len(got) < total {
			if time.Now().After(deadline) {
				t.Fatalf("timed out with %d of %d events", len(got), total)
			}
			quota := 1 + rnd.IntN(700)
			for i := 0; i < quota && len(got) < total; i++ {
				ev, err := c.next()
				if err != nil {
					break
				}
				if ev.comment != "" {
					continue
				}
				got = append(got, ev.id)
			}
			if len(got) < total {
				c.close()
				reconnects++
				last := ""
				if len(got) > 0 {
					last = got[len(got)-1]
					if reconnects%2 == 0 {
						last = "req_" + last // both forms resume
					}
				}
				c = e.openSSE(t, path, key, last)
			}
		}
		c.close()
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if len(got) != len(appended) {
			t.Fatalf("got %d events, appended %d", len(got), len(appended))
		}
		for i := range got {
			if got[i] != appended[i] {
				t.Fatalf("event %d = %s, want %s (dup, gap or reorder)", i, got[i], appended[i])
			}
		}
		t.Logf("%d events over %d reconnects", total, reconnects)
	})
}

func TestHub_Join(t *testing.T) {
	publish := func(t *testing.T, ps message.Publisher, acc string, n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			m := message.NewMessage(watermill.NewUUID(), nil)
			m.Metadata.Set(events.MetaAccount, acc)
			if err := ps.Publish(events.TopicRequests, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("OverflowCloses", func(t *testing.T) {
		ps := gochannel.NewGoChannel(gochannel.Config{}, watermill.NopLogger{})
		defer ps.Close()
		h := newHub(ps, events.TopicRequests)
		l, leave, err := h.join(accountWakes("acc_a"), 2)
		if err != nil {
			t.Fatal(err)
		}
		defer leave()
		publish(t, ps, "acc_a", 3) // nobody drains: the third overflows
		select {
		case <-l.overflow:
		case <-time.After(10 * time.Second):
			t.Fatal("a full queue did not close the stream")
		}
	})
	t.Run("OtherAccountIgnored", func(t *testing.T) {
		ps := gochannel.NewGoChannel(gochannel.Config{}, watermill.NopLogger{})
		defer ps.Close()
		h := newHub(ps, events.TopicRequests)
		l, leave, err := h.join(accountWakes("acc_a"), 1)
		if err != nil {
			t.Fatal(err)
		}
		defer leave()
		publish(t, ps, "acc_b", 5)
		publish(t, ps, "acc_a", 1)
		select {
		case <-l.wake:
		case <-l.overflow:
			t.Fatal("overflowed on another account's messages")
		case <-time.After(10 * time.Second):
			t.Fatal("no wake-up")
		}
	})
	t.Run("SubscriberClosed", func(t *testing.T) {
		ps := gochannel.NewGoChannel(gochannel.Config{}, watermill.NopLogger{})
		h := newHub(ps, events.TopicRequests)
		l, leave, err := h.join(accountWakes("acc_a"), 1)
		if err != nil {
			t.Fatal(err)
		}
		defer leave()
		ps.Close()
		select {
		case <-l.overflow:
		case <-time.After(10 * time.Second):
			t.Fatal("closing the subscriber did not end the stream")
		}
	})
}

func TestSSE_AccountRequests(t *testing.T) {
	e := mustEnv(t)
	a, aKey := e.account(t, "a@example.com", "pro", false)
	b, _ := e.account(t, "b@example.com", "pro", false)
	c := e.openSSE(t, "/api/v1/me/requests/stream", aKey, "")
	defer c.close()
	// B's request must not show; A's on two tunnels must, in order.
	for _, d := range []events.Draft{captureDraft(b, "tun_b", "bee", 0, nil, nil),
		captureDraft(a, "tun_1", "one", 1, nil, nil), captureDraft(a, "tun_2", "two", 2, nil, nil)} {
		if _, err := e.log.Append(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{`"tunnel":"one"`, `"tunnel":"two"`} {
		ev, err := c.next()
		for err == nil && ev.event == "" { // heartbeats
			ev, err = c.next()
		}
		if err != nil || ev.event != "request" || !strings.Contains(ev.data, want) {
			t.Fatalf("event %+v (%v), want %s", ev, err, want)
		}
	}
}
