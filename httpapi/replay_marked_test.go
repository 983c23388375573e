package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
)

// appendCaptured appends cr (through events.CapturedDraft, as the edge
// does) and returns its id, req_…
func (e *testEnv) appendCaptured(tb testing.TB, acc string, cr domain.CapturedRequest) string {
	tb.Helper()
	evs, err := e.log.Append(context.Background(), events.CapturedDraft(acc, time.Now(), cr, [][]byte{[]byte("body"), nil}, nil))
	if err != nil {
		tb.Fatal(err)
	}
	return domain.RequestIDPrefix + evs[0].ID.String()
}

// replayView is what every view says of a replay.
type replayView struct {
	ReplayOf  *string  `json:"replayOf"`
	Modified  *bool    `json:"modified"`
	Overrides []string `json:"overrides"`
}

func TestReplaysSayWhatTheyAreInEveryView(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "free", false)
	tun := e.tunnel(t, acc, "demo", 0)
	cr := domain.CapturedRequest{TunnelID: tun, Tunnel: "demo", Kind: domain.KindHTTP, Method: "POST", Path: "/hook",
		Status: 200, IP: "203.0.113.7", Proto: "HTTP/1.1", Host: "demo.warren.test",
		ReqHeaders: map[string][]string{"Content-Type": {"application/json"}},
		ReqBody:    domain.BodyInfo{Size: 4, Stored: 4}}
	orig := e.appendCaptured(t, acc, cr)
	cr.ReplayOf = orig
	faithful := e.appendCaptured(t, acc, cr)
	cr.Overrides = []string{"method", "body"}
	edited := e.appendCaptured(t, acc, cr)
	want := map[string]replayView{
		orig:     {Modified: new(bool)},
		faithful: {ReplayOf: &orig, Modified: new(bool)},
		edited:   {ReplayOf: &orig, Modified: func() *bool { b := true; return &b }(), Overrides: []string{"method", "body"}},
	}
	check := func(view, id string, got replayView) {
		t.Helper()
		w := want[id]
		if (got.ReplayOf == nil) != (w.ReplayOf == nil) || got.ReplayOf != nil && *got.ReplayOf != *w.ReplayOf ||
			got.Modified == nil || *got.Modified != *w.Modified || !slices.Equal(got.Overrides, w.Overrides) {
			t.Errorf("%s of %s: replayOf %v modified %v overrides %q; want %v %v %q", view, id,
				deref(got.ReplayOf), deref(got.Modified), got.Overrides, deref(w.ReplayOf), *w.Modified, w.Overrides)
		}
	}

	// The list (summary) and the detail.
	st, _, body := e.do(t, "GET", "/api/v1/me/tunnels/demo/requests", key, "")
	wantStatus(t, st, 200, body)
	var list struct {
		Requests []struct {
			ID string `json:"id"`
			replayView
		} `json:"requests"`
	}
	mustJSON(t, body, &list)
	if len(list.Requests) != 3 {
		t.Fatalf("list: %s", body)
	}
	for _, r := range list.Requests {
		check("list", r.ID, r.replayView)
		st, _, body := e.do(t, "GET", "/api/v1/me/tunnels/demo/requests/"+r.ID, key, "")
		wantStatus(t, st, 200, body)
		var d replayView
		mustJSON(t, body, &d)
		check("detail", r.ID, d)
	}

	// The SSE stream's backlog after the original.
	c := e.openSSE(t, "/api/v1/me/tunnels/demo/requests/stream", key, strings.TrimPrefix(orig, domain.RequestIDPrefix))
	defer c.close()
	for n := 0; n < 2; {
		ev, err := c.next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.event != "request" {
			continue
		}
		var d struct {
			ID string `json:"id"`
			replayView
		}
		mustJSON(t, []byte(ev.data), &d)
		check("SSE", d.ID, d.replayView)
		n++
	}

	// NDJSON and HAR exports.
	st, _, body = e.do(t, "GET", "/api/v1/me/tunnels/demo/requests/export?format=ndjson", key, "")
	wantStatus(t, st, 200, body)
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	lines := 0
	for sc.Scan() {
		var l struct {
			ID string `json:"id"`
			replayView
		}
		mustJSON(t, sc.Bytes(), &l)
		check("NDJSON", l.ID, l.replayView)
		lines++
	}
	if lines != 3 {
		t.Fatalf("NDJSON: %d lines", lines)
	}
	st, _, body = e.do(t, "GET", "/api/v1/me/tunnels/demo/requests/export?format=har", key, "")
	wantStatus(t, st, 200, body)
	var har struct {
		Log struct {
			Entries []map[string]json.RawMessage `json:"entries"`
		} `json:"log"`
	}
	mustJSON(t, body, &har)
	if len(har.Log.Entries) != 3 {
		t.Fatalf("HAR: %s", body)
	}
	for _, en := range har.Log.Entries {
		var id string
		var v replayView
		json.Unmarshal(en["_id"], &id)
		for k, dst := range map[string]any{"_replayOf": &v.ReplayOf, "_modified": &v.Modified, "_overrides": &v.Overrides} {
			if raw, ok := en[k]; ok {
				json.Unmarshal(raw, dst)
			}
		}
		if id == orig {
			if v.ReplayOf != nil || v.Modified != nil || v.Overrides != nil {
				t.Errorf("HAR: the original says it is a replay: %v", en)
			}
			continue
		}
		check("HAR", id, v)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestReplayBodyTakesMarkReplay: the opt-in mark is a field of the replay's
// body (unknown fields are refused there), off when absent.
func TestReplayBodyTakesMarkReplay(t *testing.T) {
	for body, want := range map[string]bool{``: false, `{}`: false, `{"markReplay":true}`: true, `{"markReplay":false,"method":"GET"}`: false} {
		r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		o, err := readOverrides(r, 1<<20)
		if err != nil || o.MarkReplay != want {
			t.Errorf("%s: markReplay %v, %v; want %v", body, o.MarkReplay, err, want)
		}
	}
}
