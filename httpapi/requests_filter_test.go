package httpapi

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"warren/domain"
	"warren/projections"
)

// filterFixture is one capture of the filter tests, named by its path.
type filterFixture struct {
	method, path, errCode, replayOf string
	status                          int
	ms                              float64
	at                              time.Time
}

var filterT0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// filterFixtures are appended oldest first; lists answer newest first.
var filterFixtures = []filterFixture{
	{method: "GET", path: "/a/users?id=1", status: 200, ms: 3, at: filterT0},
	{method: "POST", path: "/a/hooks/github", status: 201, ms: 40, at: filterT0.Add(time.Minute)},
	{method: "get", path: "/b/users", status: 404, ms: 1, at: filterT0.Add(2 * time.Minute)},
	{method: "DELETE", path: "/a/users/7", status: 502, ms: 900, errCode: "local_refused", at: filterT0.Add(3 * time.Minute)},
	{method: "GET", path: "/ws", status: 101, ms: 5000, errCode: "closed", at: filterT0.Add(4 * time.Minute)},
	{method: "POST", path: "/a/hooks/github", status: 200, ms: 35, replayOf: "x", at: filterT0.Add(5 * time.Minute)},
	{method: "PUT", path: "/c/upload", status: 499, ms: 12, errCode: "client_abort", at: filterT0.Add(6 * time.Minute)},
	{method: "GET", path: "/a/users?id=2", status: 500, ms: 2, at: filterT0.Add(7 * time.Minute)},
}

// appendFixtures captures filterFixtures on the tunnel and returns their
// ids (req_…) in the same order.
func (e *testEnv) appendFixtures(tb testing.TB, acc, tunnelID, name string) []string {
	tb.Helper()
	var ids []string
	for i, fx := range filterFixtures {
		d := captureDraft(acc, tunnelID, name, i, nil, nil)
		cr := d.Data.(domain.CapturedRequest)
		cr.Method, cr.Path, cr.Status, cr.DurationMs, cr.Error = fx.method, fx.path, fx.status, fx.ms, fx.errCode
		if fx.replayOf != "" {
			cr.ReplayOf = strings.TrimPrefix(ids[1], domain.RequestIDPrefix)
		}
		d.Data, d.At = cr, fx.at
		evs, err := e.log.Append(context.Background(), d)
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, domain.RequestIDPrefix+evs[0].ID.String())
	}
	return ids
}

// listAll follows next_page_uri from path and returns every id listed, and
// how many pages said scanLimited.
func (e *testEnv) listAll(tb testing.TB, path, key string) (ids []string, limited int) {
	tb.Helper()
	for range 1000 {
		st, _, body := e.do(tb, "GET", path, key, "")
		wantStatus(tb, st, 200, body)
		var page struct {
			Requests     []requestJSON `json:"requests"`
			Next         *string       `json:"next_page_uri"`
			ScanLimited  bool          `json:"scanLimited"`
			ScanBeforeID string        `json:"scanBeforeId"`
		}
		mustJSON(tb, body, &page)
		for _, r := range page.Requests {
			ids = append(ids, r.ID)
		}
		if page.ScanLimited {
			limited++
			if page.Next == nil || !strings.Contains(*page.Next, "before_id="+page.ScanBeforeID) {
				tb.Fatalf("scan-limited page without a next page from %s: %s", page.ScanBeforeID, body)
			}
		}
		if page.Next == nil {
			return ids, limited
		}
		u, err := url.Parse(*page.Next)
		if err != nil {
			tb.Fatal(err)
		}
		path = u.RequestURI()
	}
	tb.Fatal("more than 1000 pages")
	return nil, 0
}

// pick returns the ids of the fixtures at idx, newest first (list order).
func pick(ids []string, idx ...int) []string {
	var out []string
	for _, i := range slices.Backward(idx) {
		out = append(out, ids[i])
	}
	return out
}

func TestRequestListFiltersOnTheServer(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "free", false)
	tun := e.tunnel(t, acc, "demo", 0)
	other := e.tunnel(t, acc, "other", 0)
	ids := e.appendFixtures(t, acc, tun, "demo")
	e.appendFixtures(t, acc, other, "other") // never in the per-tunnel lists
	for _, tc := range []struct {
		query string
		want  []int // indexes into filterFixtures, ascending
	}{
		{"", []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{"method=get", []int{0, 2, 4, 7}},
		{"method=POST,delete", []int{1, 3, 5}},
		{"method=POST&method=PUT", []int{1, 5, 6}},
		{"status=2xx", []int{0, 1, 5}},
		{"status=4xx,101", []int{2, 4, 6}},
		{"status=5xx", []int{3, 7}},
		{"status=404", []int{2}},
		{"path=users", []int{0, 2, 3, 7}},
		{"path=" + url.QueryEscape("?id="), []int{0, 7}},
		{"path=Users", nil}, // paths are case-sensitive
		{"since=2026-12-01T10:02:00Z", []int{2, 3, 4, 5, 6, 7}},
		{"until=2026-12-01T10:02:00Z", []int{0, 1}},
		{"since=2026-12-01T10:01:00Z&until=2026-12-01T10:03:00Z", []int{1, 2}},
		{"minDurationMs=35", []int{1, 3, 4, 5}},
		{"minDurationMs=35.5", []int{1, 3, 4}},
		{"errors=true", []int{3, 6, 7}}, // not the WebSocket that closed
		{"replays=true", []int{5}},
		{"errors=false&replays=0", []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{"method=GET&path=users&status=2xx", []int{0}},
		{"method=GET&path=nothing-like-it", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			want := pick(ids, tc.want...)
			for _, base := range []string{"/api/v1/me/tunnels/demo/requests?", "/v1/requests?tunnel=demo&"} {
				got, _ := e.listAll(t, base+tc.query, key)
				if !slices.Equal(got, want) {
					t.Errorf("%s%s: got %v, want %v", base, tc.query, got, want)
				}
				// A page of 2 at a time lists the same, in the same order.
				got, _ = e.listAll(t, base+tc.query+"&limit=2", key)
				if !slices.Equal(got, want) {
					t.Errorf("%s%s&limit=2: got %v, want %v", base, tc.query, got, want)
				}
			}
		})
	}
	// Every tunnel: both tunnels' matches.
	got, _ := e.listAll(t, "/v1/requests?replays=true", key)
	if len(got) != 2 || got[1] != ids[5] {
		t.Errorf("replays of every tunnel: %v", got)
	}
}

func TestRequestListFilterPageHoldsLimitMatches(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "free", false)
	tun := e.tunnel(t, acc, "demo", 0)
	ids := e.appendFixtures(t, acc, tun, "demo")
	st, _, body := e.do(t, "GET", "/api/v1/me/tunnels/demo/requests?method=GET&limit=2", key, "")
	wantStatus(t, st, 200, body)
	var page struct {
		Requests []requestJSON `json:"requests"`
		Next     *string       `json:"next_page_uri"`
	}
	mustJSON(t, body, &page)
	if len(page.Requests) != 2 || page.Requests[0].ID != ids[7] || page.Requests[1].ID != ids[4] {
		t.Fatalf("first filtered page: %s", body)
	}
	if page.Next == nil || !strings.Contains(*page.Next, "before_id="+ids[4]) || !strings.Contains(*page.Next, "method=GET") {
		t.Fatalf("next_page_uri %v: want before_id=%s and the filter kept", page.Next, ids[4])
	}
}

func TestRequestListFilterScanIsBoundedAndContinues(t *testing.T) {
	e := mustEnv(t, func(c *Config) { c.RequestScan = 3 })
	acc, key := e.account(t, "ada@example.com", "free", false)
	tun := e.tunnel(t, acc, "demo", 0)
	ids := e.appendFixtures(t, acc, tun, "demo")
	// Nothing matches: every page scans 3 and says where to go on, and the
	// walk ends.
	got, limited := e.listAll(t, "/api/v1/me/tunnels/demo/requests?path=nothing", key)
	if len(got) != 0 || limited != 2 { // 3 + 3 scanned, then the last 2 end the list
		t.Errorf("no match: got %v after %d scan-limited pages, want none after 2", got, limited)
	}
	// Sparse matches are all found, in order, across scan-limited pages.
	got, limited = e.listAll(t, "/v1/requests?tunnel=demo&errors=true&limit=100", key)
	if want := pick(ids, 3, 6, 7); !slices.Equal(got, want) || limited == 0 {
		t.Errorf("sparse: got %v (%d limited pages), want %v", got, limited, want)
	}
	// An unfiltered page is never scan-limited beyond its own size.
	st, _, body := e.do(t, "GET", "/api/v1/me/tunnels/demo/requests?limit=2", key, "")
	wantStatus(t, st, 200, body)
	if strings.Contains(string(body), "scanLimited") {
		t.Errorf("a full page said scanLimited: %s", body)
	}
}

func TestRequestListFilterRefusesBadValues(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "ada@example.com", "free", false)
	e.tunnel(t, acc, "demo", 0)
	for _, tc := range []struct{ query, param string }{
		{"method=G%20T", "method"},
		{"method=GET,,POST", "method"},
		{"status=2x", "status"},
		{"status=600", "status"},
		{"status=6xx", "status"},
		{"status=abc", "status"},
		{"since=yesterday", "since"},
		{"until=2026-13-01T00:00:00Z", "until"},
		{"since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", "until"},
		{"minDurationMs=-1", "minDurationMs"},
		{"minDurationMs=fast", "minDurationMs"},
		{"minDurationMs=NaN", "minDurationMs"},
		{"errors=yes", "errors"},
		{"replays=maybe", "replays"},
		{"path=" + strings.Repeat("a", 1025), "path"},
	} {
		for _, base := range []string{"/api/v1/me/tunnels/demo/requests?", "/v1/requests?"} {
			st, _, body := e.do(t, "GET", base+tc.query, key, "")
			wantError(t, st, body, 400, "invalid")
			if !strings.Contains(string(body), tc.param) {
				t.Errorf("%s%s: message does not name %s: %s", base, tc.query, tc.param, body)
			}
		}
	}
}

func TestParseRequestFilter(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		query string
		want  projections.RequestFilter
		bad   bool
	}{
		{query: "", want: projections.RequestFilter{}},
		{query: "method=&status=&path=&errors=", want: projections.RequestFilter{}},
		{query: "method=get,%20Post", want: projections.RequestFilter{Methods: []string{"GET", "POST"}}},
		{query: "method=M-SEARCH", want: projections.RequestFilter{Methods: []string{"M-SEARCH"}}},
		{query: "status=2XX,404,1xx", want: projections.RequestFilter{Statuses: []projections.StatusRange{{Lo: 200, Hi: 299}, {Lo: 404, Hi: 404}, {Lo: 100, Hi: 199}}}},
		{query: "path=%2Fa%20b", want: projections.RequestFilter{PathContains: "/a b"}},
		{query: "since=2026-12-01T10:00:00.5%2B01:00", want: projections.RequestFilter{Since: at("2026-12-01T10:00:00.5+01:00")}},
		{query: "minDurationMs=0.25", want: projections.RequestFilter{MinDuration: 0.25}},
		{query: "errors=1&replays=TRUE", want: projections.RequestFilter{ErrorsOnly: true, ReplaysOnly: true}},
		{query: "method=" + strings.Repeat("GET,", 17), bad: true},
		{query: "method=%E2%82%AC", bad: true},
		{query: "status=099", bad: true},
		{query: "status=20", bad: true},
		{query: "minDurationMs=Inf", bad: true},
		{query: "since=2026-12-01", bad: true},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parseRequestFilter(q)
		if tc.bad {
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Errorf("%q: err %v, want CodeInvalid", tc.query, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.query, err)
			continue
		}
		if !filterEqual(f, tc.want) {
			t.Errorf("%q: got %+v, want %+v", tc.query, f, tc.want)
		}
	}
}

func filterEqual(a, b projections.RequestFilter) bool {
	return slices.Equal(a.Methods, b.Methods) && slices.Equal(a.Statuses, b.Statuses) && a.PathContains == b.PathContains &&
		a.Since.Equal(b.Since) && a.Until.Equal(b.Until) && a.MinDuration == b.MinDuration &&
		a.ErrorsOnly == b.ErrorsOnly && a.ReplaysOnly == b.ReplaysOnly
}
