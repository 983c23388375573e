package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
	"warren/events"
)

// capture appends one captured request to s's log for the account and
// returns its API id (req_…).
func capture(t *testing.T, s *apiServer, account string, cr domain.CapturedRequest, reqBody, respBody []byte) string {
	t.Helper()
	if cr.Kind == "" {
		cr.Kind = domain.KindHTTP
	}
	if cr.ReqBody.Size == 0 && cr.ReqBody.Stored == 0 {
		cr.ReqBody = domain.BodyInfo{Size: int64(len(reqBody)), Stored: int64(len(reqBody))}
	}
	cr.RespBody = domain.BodyInfo{Size: int64(len(respBody)), Stored: int64(len(respBody))}
	cr.IP, cr.Proto, cr.Host = "127.0.0.1", "HTTP/1.1", cr.Tunnel+".localhost"
	evs, err := s.Log.Append(context.Background(), events.Draft{Type: events.RequestCaptured, Account: account, Data: cr,
		Bodies: [][]byte{reqBody, respBody}})
	if err != nil {
		t.Fatal(err)
	}
	return domain.RequestIDPrefix + evs[0].ID.String()
}

// loggedIn is an environment logged in to s, and the account's id.
func loggedIn(t *testing.T, s *apiServer) ([]string, string) {
	env := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s.URL, "WARREN_API_KEY="+s.key)
	var me struct{ ID string }
	warrentest.CLIJSON(t, env, &me, "login", "--server", s.URL, "--key", s.key)
	return env, me.ID
}

// `warren requests show` prints one capture: the summary, both sides'
// headers, and bodies by content type (JSON indented, a form decoded, text
// as is, binary as a hex dump), saying when a body was truncated.
func TestRequestsShowPrettyPrintsBodiesByContentType(t *testing.T) {
	s := startAPIServer(t, "")
	env, acct := loggedIn(t, s)
	jsonID := capture(t, s, acct, domain.CapturedRequest{Tunnel: "app", Method: "POST", Path: "/hook?x=1", Status: 201, DurationMs: 12.5,
		ReqHeaders:  map[string][]string{"Content-Type": {"application/json"}, "X-Hook": {"a", "b"}},
		RespHeaders: map[string][]string{"Content-Type": {"text/plain; charset=utf-8"}}},
		[]byte(`{"event":"push","n":[1,2]}`), []byte("created\n"))
	formID := capture(t, s, acct, domain.CapturedRequest{Tunnel: "app", Method: "POST", Path: "/form", Status: 200,
		ReqHeaders:  map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}},
		RespHeaders: map[string][]string{"Content-Type": {"image/png"}}},
		[]byte("name=Ada+Lovelace&note=a%26b"), []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"))
	bigID := capture(t, s, acct, domain.CapturedRequest{Tunnel: "app", Method: "PUT", Path: "/big", Status: 413,
		ReqHeaders: map[string][]string{"Content-Type": {"text/plain"}},
		ReqBody:    domain.BodyInfo{Size: 5000, Stored: 10, Truncated: true}},
		[]byte("0123456789"), nil)

	out := warrentest.CLIOK(t, env, "requests", "show", jsonID)
	for _, want := range []string{
		jsonID + "  POST /hook?x=1  201 Created",
		"tunnel", "app  (app.localhost)",
		"── request headers\nContent-Type: application/json\nX-Hook: a\nX-Hook: b\n",
		"── request body (application/json, 26 B, JSON indented)\n{\n  \"event\": \"push\",\n  \"n\": [\n    1,\n    2\n  ]\n}\n",
		"── response body (text/plain; charset=utf-8, 8 B)\ncreated\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show %s lacks %q:\n%s", jsonID, want, out)
		}
	}
	// The id without its prefix, and the tunnel given, work alike.
	if out2 := warrentest.CLIOK(t, env, "requests", "show", strings.TrimPrefix(jsonID, "req_"), "--tunnel", "app"); out2 != out {
		t.Errorf("show by bare id with --tunnel differs:\n%s\nvs\n%s", out2, out)
	}

	out = warrentest.CLIOK(t, env, "requests", "show", formID)
	for _, want := range []string{"form decoded)\nname = Ada Lovelace\nnote = a&b\n", "image/png, 16 B, binary, hex dump)\n00000000  89 50 4e 47 0d 0a 1a 0a  00 00 00 0d 49 48 44 52  |.PNG........IHDR|"} {
		if !strings.Contains(out, want) {
			t.Errorf("show %s lacks %q:\n%s", formID, want, out)
		}
	}
	out = warrentest.CLIOK(t, env, "requests", "show", bigID)
	if !strings.Contains(out, "truncated at capture: 10 of 5000 bytes stored") || !strings.Contains(out, "0123456789") {
		t.Errorf("show %s: want the truncation said and the stored part shown:\n%s", bigID, out)
	}

	t.Run("Raw", func(t *testing.T) {
		r := warrentest.Run(t, env, "requests", "show", jsonID, "--raw")
		want := "POST /hook?x=1 HTTP/1.1\r\nHost: app.localhost\r\nContent-Type: application/json\r\nX-Hook: a\r\nX-Hook: b\r\n\r\n" +
			`{"event":"push","n":[1,2]}` + "\r\nHTTP/1.1 201 Created\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ncreated\n"
		if r.Code != 0 || r.Stdout != want {
			t.Errorf("--raw: exit %d\n%q\nwant\n%q", r.Code, r.Stdout, want)
		}
		r = warrentest.Run(t, env, "requests", "show", bigID, "--raw")
		if !strings.Contains(r.Stderr, "truncated at capture: 10 of 5000") {
			t.Errorf("--raw of a truncated body: stderr %q, want it said", r.Stderr)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		var d struct {
			ID      string
			Request struct {
				Body struct{ Data string }
			}
		}
		warrentest.CLIJSON(t, env, &d, "requests", "show", jsonID)
		if d.ID != jsonID || d.Request.Body.Data != `{"event":"push","n":[1,2]}` {
			t.Errorf("--json: %+v", d)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		warrentest.CLIFails(t, env, "missing REQ_ID", "requests", "show")
		warrentest.CLIFails(t, env, "not both", "requests", "show", jsonID, "--raw", "--json")
		warrentest.CLIFails(t, env, "not found", "requests", "show", "req_01JAAAAAAAAAAAAAAAAAAAAAAA")
	})
}

// The request table and --follow mark a replay with the request it
// replays.
func TestRequestsListAndFollowMarkReplays(t *testing.T) {
	s := startAPIServer(t, "")
	env, acct := loggedIn(t, s)
	orig := capture(t, s, acct, domain.CapturedRequest{Tunnel: "app", Method: "POST", Path: "/hook", Status: 200}, []byte("{}"), nil)
	rep := capture(t, s, acct, domain.CapturedRequest{Tunnel: "app", Method: "POST", Path: "/hook", Status: 200,
		ReplayOf: strings.TrimPrefix(orig, "req_")}, []byte("{}"), nil)
	out := warrentest.CLIOK(t, env, "requests")
	var repLine, origLine string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, rep):
			repLine = l
		case strings.HasPrefix(l, orig):
			origLine = l
		}
	}
	if !strings.Contains(repLine, "↻ replay of "+orig) || strings.Contains(origLine, "replay") {
		t.Errorf("table: replay line %q, original %q: want only the replay marked\n%s", repLine, origLine, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f := startWarren(t, ctx, env, "requests", "--follow", "--limit", "2")
	first, second := f.nextLine(t), f.nextLine(t)
	if strings.Contains(first, "replay") || !strings.HasSuffix(second, "/hook  ↻ replay of "+orig) {
		t.Errorf("--follow lines:\n%s\n%s\nwant the second marked as a replay of %s", first, second, orig)
	}
}

// A replay that changed the request says what it changed, whether the API
// lists the fields or keys them.
func TestReplayNoteSaysWhatWasEdited(t *testing.T) {
	for _, c := range []struct {
		replayOf  string
		modified  bool
		overrides string
		want      string
	}{
		{"", false, "", ""},
		{"req_1", false, "", "↻ replay of req_1"},
		{"req_1", true, `["body","headers"]`, "↻ replay of req_1, edited: body, headers"},
		{"req_1", true, `{"method":"PUT","body":"x"}`, "↻ replay of req_1, edited: body, method"},
		{"req_1", true, "", "↻ replay of req_1, edited"},
	} {
		if got := replayNote(c.replayOf, c.modified, overrideNames(json.RawMessage(c.overrides))); got != c.want {
			t.Errorf("replayNote(%q, %v, %s) = %q, want %q", c.replayOf, c.modified, c.overrides, got, c.want)
		}
	}
}
