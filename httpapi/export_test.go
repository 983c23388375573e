package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"warren/domain"
	"warren/projections"
)

// harRequired lists, per HAR 1.2 object, the fields the spec requires.
var harRequired = map[string][]string{
	"log":      {"version", "creator", "entries"},
	"creator":  {"name", "version"},
	"entry":    {"startedDateTime", "time", "request", "response", "cache", "timings"},
	"request":  {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"},
	"response": {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize"},
	"content":  {"size", "mimeType"},
	"timings":  {"send", "wait", "receive"},
	"postData": {"mimeType", "text"},
	"nv":       {"name", "value"},
}

// validateHAR checks doc against the required fields and types of HAR 1.2
// and returns the entries.
func validateHAR(t *testing.T, doc []byte) []map[string]any {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatalf("HAR is not JSON: %v\n%s", err, doc)
	}
	need := func(kind string, obj any) map[string]any {
		t.Helper()
		m, ok := obj.(map[string]any)
		if !ok {
			t.Fatalf("%s is not an object: %v", kind, obj)
		}
		for _, f := range harRequired[kind] {
			if _, ok := m[f]; !ok {
				t.Fatalf("%s lacks required %q: %v", kind, f, m)
			}
		}
		return m
	}
	list := func(kind string, v any, elem string) {
		t.Helper()
		arr, ok := v.([]any)
		if !ok {
			t.Fatalf("%s is not an array: %v", kind, v)
		}
		for _, x := range arr {
			need(elem, x)
		}
	}
	num := func(what string, v any) float64 {
		t.Helper()
		f, ok := v.(float64)
		if !ok {
			t.Fatalf("%s is not a number: %v", what, v)
		}
		return f
	}
	lg := need("log", root["log"])
	if lg["version"] != "1.2" {
		t.Fatalf("log.version %v", lg["version"])
	}
	need("creator", lg["creator"])
	var out []map[string]any
	for _, x := range lg["entries"].([]any) {
		en := need("entry", x)
		if _, err := time.Parse(time.RFC3339Nano, en["startedDateTime"].(string)); err != nil {
			t.Fatalf("startedDateTime: %v", err)
		}
		num("time", en["time"])
		need("cache", en["cache"])
		req := need("request", en["request"])
		list("request.headers", req["headers"], "nv")
		list("request.queryString", req["queryString"], "nv")
		list("request.cookies", req["cookies"], "nv")
		num("request.headersSize", req["headersSize"])
		num("request.bodySize", req["bodySize"])
		if u, err := url.Parse(req["url"].(string)); err != nil || !u.IsAbs() {
			t.Fatalf("request.url %v is not absolute", req["url"])
		}
		if pd, ok := req["postData"]; ok {
			need("postData", pd)
		}
		resp := need("response", en["response"])
		num("response.status", resp["status"])
		list("response.headers", resp["headers"], "nv")
		list("response.cookies", resp["cookies"], "nv")
		need("content", resp["content"])
		tm := need("timings", en["timings"])
		for _, f := range harRequired["timings"] {
			if num("timings."+f, tm[f]) < 0 {
				t.Fatalf("timings.%s is negative (only optional ones may be -1)", f)
			}
		}
		out = append(out, en)
	}
	return out
}

func TestExport_Requests(t *testing.T) {
	e := mustEnv(t)
	a, ka := e.account(t, "a@example.com", "pro", false)
	_, kb := e.account(t, "b@example.com", "pro", false)
	tun := e.tunnel(t, a, "alpha", 0)
	other := e.tunnel(t, a, "beta", 0)

	post := captureDraft(a, tun, "alpha", 0, []byte(`{"hello":"world"}`), []byte("created"))
	cr := post.Data.(domain.CapturedRequest)
	cr.Method, cr.Path, cr.Status = "POST", "/hooks?x=1&y=two%20words", 201
	cr.ReqHeaders = map[string][]string{"Content-Type": {"application/json"}, "Cookie": {"sid=abc; theme=dark"}}
	cr.RespHeaders = map[string][]string{"Content-Type": {"text/plain"}, "Set-Cookie": {"sid=def; Path=/; HttpOnly"}}
	post.Data = cr
	binary := captureDraft(a, tun, "alpha", 1, nil, []byte{0xff, 0x00, 0xfe})
	first, err := e.log.Append(context.Background(), post, captureDraft(a, other, "beta", 2, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // the since filter below needs distinct times
	second, err := e.log.Append(context.Background(), binary)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("HAR", func(t *testing.T) {
		st, h, b := e.do(t, "GET", "/api/v1/me/tunnels/alpha/requests/export?format=har", ka, "")
		wantStatus(t, st, 200, b)
		if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Fatalf("content type %q", h.Get("Content-Type"))
		}
		entries := validateHAR(t, b)
		if len(entries) != 2 {
			t.Fatalf("%d entries, want alpha's 2", len(entries))
		}
		req := entries[0]["request"].(map[string]any)
		if req["method"] != "POST" || req["url"] != "http://alpha.warren.test/hooks?x=1&y=two%20words" {
			t.Fatalf("request %v", req)
		}
		if qs := req["queryString"].([]any); len(qs) != 2 || qs[1].(map[string]any)["value"] != "two words" {
			t.Fatalf("queryString %v", qs)
		}
		if pd := req["postData"].(map[string]any); pd["text"] != `{"hello":"world"}` || pd["mimeType"] != "application/json" {
			t.Fatalf("postData %v", pd)
		}
		if cs := req["cookies"].([]any); len(cs) != 2 {
			t.Fatalf("request cookies %v", cs)
		}
		resp := entries[0]["response"].(map[string]any)
		if resp["status"] != 201.0 || resp["statusText"] != "Created" || resp["content"].(map[string]any)["text"] != "created" {
			t.Fatalf("response %v", resp)
		}
		if cs := resp["cookies"].([]any); len(cs) != 1 || cs[0].(map[string]any)["httpOnly"] != true {
			t.Fatalf("response cookies %v", cs)
		}
		content := entries[1]["response"].(map[string]any)["content"].(map[string]any)
		raw, _ := base64.StdEncoding.DecodeString(content["text"].(string))
		if content["encoding"] != "base64" || !bytes.Equal(raw, []byte{0xff, 0x00, 0xfe}) {
			t.Fatalf("binary content %v", content)
		}
	})
	t.Run("NDJSON", func(t *testing.T) {
		st, h, b := e.do(t, "GET", "/api/v1/me/tunnels/alpha/requests/export?format=ndjson", ka, "")
		wantStatus(t, st, 200, b)
		if h.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("content type %q", h.Get("Content-Type"))
		}
		var lines []ndjsonLine
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			var l ndjsonLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			lines = append(lines, l)
		}
		if len(lines) != 2 || lines[0].ID != "req_"+first[0].ID.String() || lines[1].ID != "req_"+second[0].ID.String() {
			t.Fatalf("lines %+v", lines)
		}
		body, _ := base64.StdEncoding.DecodeString(*lines[0].RequestBodyBase64)
		if string(body) != `{"hello":"world"}` || lines[0].Method != "POST" || lines[0].ReqHeaders["Content-Type"][0] != "application/json" {
			t.Fatalf("first line %+v", lines[0])
		}
		if lines[1].RequestBodyBase64 == nil || *lines[1].RequestBodyBase64 != "" || *lines[1].ResponseBodyBase64 != "/wD+" {
			t.Fatalf("second line bodies %q %q", *lines[1].RequestBodyBase64, *lines[1].ResponseBodyBase64)
		}
	})
	t.Run("Since", func(t *testing.T) {
		since := second[0].At.Format(time.RFC3339Nano)
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/alpha/requests/export?format=har&since="+url.QueryEscape(since), ka, "")
		wantStatus(t, st, 200, b)
		if entries := validateHAR(t, b); len(entries) != 1 || entries[0]["_id"] != "req_"+second[0].ID.String() {
			t.Fatalf("since export: %v", entries)
		}
	})
	t.Run("OtherAccountEmpty", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/alpha/requests/export", kb, "")
		wantStatus(t, st, 200, b)
		if entries := validateHAR(t, b); len(entries) != 0 {
			t.Fatalf("B exports A's requests: %s", b)
		}
	})
	t.Run("PrunedBodies", func(t *testing.T) {
		// A year on, retention has pruned every stored body: the export
		// still lists the requests and says why the bodies are missing.
		if n, err := projections.SweepBodies(context.Background(), e.log, time.Now().AddDate(1, 0, 0), 100, 0); err != nil || n == 0 {
			t.Fatalf("swept %d, %v", n, err)
		}
		st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/alpha/requests/export?format=har", ka, "")
		wantStatus(t, st, 200, b)
		entries := validateHAR(t, b)
		if len(entries) != 2 {
			t.Fatalf("%d entries after pruning", len(entries))
		}
		pd := entries[0]["request"].(map[string]any)["postData"].(map[string]any)
		if pd["text"] != "" || !strings.Contains(pd["comment"].(string), "pruned") {
			t.Fatalf("pruned postData %v", pd)
		}
		st, _, b = e.do(t, "GET", "/api/v1/me/tunnels/alpha/requests/export?format=ndjson", ka, "")
		wantStatus(t, st, 200, b)
		var l ndjsonLine
		mustJSON(t, bytes.SplitN(b, []byte("\n"), 2)[0], &l)
		if l.RequestBodyBase64 != nil || l.BodiesPrunedAt == nil {
			t.Fatalf("pruned ndjson line %+v", l)
		}
	})
	t.Run("ErrBadParams", func(t *testing.T) {
		for _, q := range []string{"format=csv", "since=yesterday"} {
			st, _, b := e.do(t, "GET", "/api/v1/me/tunnels/alpha/requests/export?"+q, ka, "")
			wantError(t, st, b, 400, "invalid")
		}
	})
}
