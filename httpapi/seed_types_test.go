package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// The JSON examples of /work/shared/seeds, verbatim, with the route whose
// answer a client typed from them decodes. A client generated from an
// example takes its field types from it, so every field present in both
// must keep its JSON type, and a number the seed shows as an integer must
// not come back with a fraction.
const (
	seedLrokPlan    = `{"plan": "pro", "tunnels": { "limit": null, "active": 3 }, "reservations": { "limit": null, "used": 2 }}`
	seedLrokTunnels = `[{"subdomain": "stripe-dev", "publicUrl": "https://stripe-dev.lrok.io", "createdAt": "2026-05-04T12:01:33Z", "remoteAddr": "203.0.113.7"}]`
	seedLrokEvent   = `{"id":"req_01H...","method":"POST","path":"/webhook","status":200}`
	seedOsmUsage    = `{"plan": "free", "limits": { "domains": 2, "tunnels": 10, "bandwidthBytes": 53687091200 }, "used": { "domains": 0, "tunnels": 1, "bandwidthBytes": 846 }}`
	seedOsmRequests = `{"requests": [{"method": "GET", "path": "/", "status": 200, "durationMs": 234, "bytes": 28, "ip": "203.0.113.7",
		"userAgent": "curl/8.7.1", "proto": "HTTP/2.0", "host": "my-app.osmrouter.com"}]}`
	seedOsmError = `{ "error": "unauthorized" }`
)

func TestSeedExamplesKeepTheirFieldTypes(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "pro", false)
	tun := e.tunnel(t, acc, "stripe-dev", 0)
	// osmRouter's usage example is a free plan's (limits are numbers; a pro plan's are null, as lrok shows).
	freeAcc, freeKey := e.account(t, "free@example.com", "free", false)
	e.tunnel(t, freeAcc, "my-app", 0)
	// A capture whose duration has a fraction, as real ones do (1.5 ms).
	if _, err := e.log.Append(t.Context(), captureDraft(acc, tun, "stripe-dev", 1, []byte(`{"a":1}`), []byte("ok"))); err != nil {
		t.Fatal(err)
	}
	list := func(b []byte) []byte { // a request list's first item
		var l struct {
			Requests []json.RawMessage `json:"requests"`
		}
		mustJSON(t, b, &l)
		if len(l.Requests) == 0 {
			t.Fatalf("no requests in %s", b)
		}
		return l.Requests[0]
	}
	cases := []struct {
		name, seed, path, apiKey string
		status                   int
		pick                     func([]byte) []byte
	}{
		{"LrokPlan", seedLrokPlan, "/api/v1/me/plan", key, 200, nil},
		{"LrokTunnels", seedLrokTunnels, "/api/v1/me/tunnels", key, 200, nil},
		// The stream's data is the list item's JSON (toRequestJSON); the SSE test below reads it live.
		{"LrokRequestEventAsListItem", seedLrokEvent, "/api/v1/me/tunnels/stripe-dev/requests", key, 200, list},
		{"OsmUsage", seedOsmUsage, "/v1/usage", freeKey, 200, nil},
		{"OsmRequests", seedOsmRequests, "/v1/requests", key, 200, nil},
		{"OsmRequestsOfLrokRoute", seedOsmRequests, "/api/v1/me/tunnels/stripe-dev/requests", key, 200, nil},
		{"OsmRequestAsDetail", seedOsmRequests, "/api/v1/me/tunnels/stripe-dev/requests", key, 200, nil},
		{"OsmError", seedOsmError, "/v1/usage", "ak_nope", 401, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, _, b := e.do(t, "GET", c.path, c.apiKey, "")
			wantStatus(t, st, c.status, b)
			if c.pick != nil {
				b = c.pick(b)
			}
			if c.name == "OsmRequestAsDetail" { // the detail carries the summary's fields
				var id struct {
					ID string `json:"id"`
				}
				mustJSON(t, list(b), &id)
				_, _, b = e.do(t, "GET", c.path+"/"+id.ID, key, "")
				b = []byte(`{"requests":[` + string(b) + `]}`)
			}
			checkSeedTypes(t, c.seed, b)
		})
	}
	t.Run("DurationKeepsMicroseconds", func(t *testing.T) {
		_, _, b := e.do(t, "GET", "/v1/requests", key, "")
		var d struct{ DurationMs, DurationUs, TTFBMs, TTFBUs any }
		item := list(b)
		mustJSON(t, item, &d)
		// captureDraft stores 1.5 ms and 1 ms: rounded half away from zero, microseconds exact.
		if d.DurationMs != 2.0 || d.DurationUs != 1500.0 || d.TTFBMs != 1.0 || d.TTFBUs != 1000.0 {
			t.Fatalf("durations in %s", item)
		}
	})
	t.Run("LrokRequestEventAsSSEData", func(t *testing.T) {
		// Last-Event-ID before every event: the stream replays the capture.
		c := e.openSSE(t, "/api/v1/me/tunnels/stripe-dev/requests/stream", key, "00000000000000000000000000")
		defer c.close()
		ev, err := c.next()
		for err == nil && ev.event != "request" {
			ev, err = c.next()
		}
		if err != nil {
			t.Fatal(err)
		}
		checkSeedTypes(t, seedLrokEvent, []byte(ev.data))
		checkSeedTypes(t, seedOsmRequests, []byte(`{"requests":[`+ev.data+`]}`))
	})
	t.Run("OsmRequestAsNDJSONExport", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/stripe-dev/requests/export?format=ndjson", key, "")
		wantStatus(t, st, 200, b)
		first, _, _ := bytes.Cut(b, []byte("\n"))
		checkSeedTypes(t, seedOsmRequests, []byte(`{"requests":[`+string(first)+`]}`))
	})
}

// checkSeedTypes fails for every field of seed, also nested, that got
// carries with another JSON type, or as a fraction where seed has an integer.
func checkSeedTypes(t *testing.T, seed string, got []byte) {
	t.Helper()
	sv, gv := decodeNumbers(t, []byte(seed)), decodeNumbers(t, got)
	var bad []string
	compareSeedTypes("$", sv, gv, &bad)
	sort.Strings(bad)
	for _, m := range bad {
		t.Error(m)
	}
	if len(bad) > 0 {
		t.Logf("answer: %s", got)
	}
}

func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func seedJSONKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func compareSeedTypes(at string, seed, got any, bad *[]string) {
	sk, gk := seedJSONKind(seed), seedJSONKind(got)
	if sk == "null" { // the seed allows null there, so its type is unknown
		return
	}
	if sk != gk {
		*bad = append(*bad, fmt.Sprintf("%s: seed has %s, Warren sends %s (%v)", at, sk, gk, got))
		return
	}
	switch s := seed.(type) {
	case json.Number:
		g := got.(json.Number)
		if _, err := s.Int64(); err == nil && strings.ContainsAny(g.String(), ".eE") {
			*bad = append(*bad, fmt.Sprintf("%s: seed has an integer (%s), Warren sends %s", at, s, g))
		}
	case map[string]any:
		g := got.(map[string]any)
		for k, sv := range s {
			if gv, ok := g[k]; ok {
				compareSeedTypes(at+"."+k, sv, gv, bad)
			}
		}
	case []any:
		if len(s) == 0 {
			return
		}
		for i, gv := range got.([]any) {
			compareSeedTypes(fmt.Sprintf("%s[%d]", at, i), s[0], gv, bad)
		}
	}
}
