package browser

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestInspectorEmptyStateShowsTheNextCommand(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"), chromedp.WaitVisible(chromedp.CSS("#inspector-empty pre.command")))
	if cmd := get(t, ctx, chromedp.Text(chromedp.CSS("#inspector-empty pre.command"))); cmd != "warren http 3000" {
		t.Fatalf("the empty inspector suggests %q, want \"warren http 3000\"", cmd)
	}
}

func TestInspectorLiveTailShowsARequestSentThroughATunnel(t *testing.T) {
	d := startDash(t)
	_, host := d.startTunnel(t, "live", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hello")) })
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"))
	waitLive(t, ctx)

	if st := d.send(t, host, "GET", "/hello?from=tail", "", ""); st != http.StatusOK {
		t.Fatalf("through the tunnel: %d", st)
	}
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#requests tr.row[data-id] td.path[title="/hello?from=tail"]`)))
	screenshot(t, ctx, "inspector")

	// The keyboard: j selects the first row, Enter opens it, Esc closes it,
	// "/" focuses the path filter.
	do(t, ctx, chromedp.KeyEvent("j"), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("#detail-summary")))
	do(t, ctx, chromedp.KeyEvent("\x1b"), chromedp.WaitNotVisible(chromedp.CSS("#detail")))
	do(t, ctx, chromedp.KeyEvent("/"))
	if id := jsString(t, ctx, `document.activeElement.id`); id != "f-path" {
		t.Fatalf(`"/" focused %q, want the path filter`, id)
	}
}

func TestInspectorLiveTailPausesAndCountsNewRequests(t *testing.T) {
	d := startDash(t)
	_, host := d.startTunnel(t, "paused", func(w http.ResponseWriter, r *http.Request) {})
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"))
	waitLive(t, ctx)
	do(t, ctx, chromedp.Click(chromedp.CSS("#pause")))
	for range 3 {
		d.send(t, host, "GET", "/while-paused", "", "")
	}
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#new-count")))
	get(t, ctx, chromedp.Poll[bool](`document.querySelector("#new-count").textContent === "3 new"`))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#requests tr.row").length`)); n != 0 {
		t.Fatalf("a paused tail drew %d rows", n)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#new-count")))
	get(t, ctx, chromedp.Poll[bool](`document.querySelectorAll("#requests tr.row").length === 3`))
}

func TestInspectorDetailPrettyPrintsAJSONBody(t *testing.T) {
	d := startDash(t)
	_, host := d.startTunnel(t, "json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"items":[1,2]}`))
	})
	d.send(t, host, "POST", "/orders", "application/json", `{"name":"ada","qty":2}`)
	d.waitCaptured(t, "/orders")
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"), chromedp.Click(chromedp.CSS(`#requests tr.row td.path[title="/orders"]`)),
		chromedp.WaitVisible(chromedp.CSS("#side-request pre.body-view.json")))
	want := "{\n  \"name\": \"ada\",\n  \"qty\": 2\n}"
	if got := jsString(t, ctx, `document.querySelector("#side-request pre.body-view.json").textContent`); got != want {
		t.Fatalf("request body shown as\n%s\nwant\n%s", got, want)
	}
	screenshot(t, ctx, "inspector-detail")
	do(t, ctx, chromedp.Click(chromedp.CSS("#tab-response")), chromedp.WaitVisible(chromedp.CSS("#side-response pre.body-view.json")))
	want = "{\n  \"ok\": true,\n  \"items\": [\n    1,\n    2\n  ]\n}"
	if got := jsString(t, ctx, `document.querySelector("#side-response pre.body-view.json").textContent`); got != want {
		t.Fatalf("response body shown as\n%s\nwant\n%s", got, want)
	}
}

func TestInspectorReplayWithAnEditedBodyReachesTheService(t *testing.T) {
	d := startDash(t)
	o, host := d.startTunnel(t, "replay", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	d.send(t, host, "POST", "/hooks", "application/json", `{"event":"first"}`)
	d.waitCaptured(t, "/hooks")
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"))
	waitLive(t, ctx)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#requests tr.row td.path[title="/hooks"]`)),
		chromedp.Click(chromedp.CSS("#replay-edit")),
		chromedp.WaitVisible(chromedp.CSS("#edit-body")),
		chromedp.SetValue(chromedp.CSS("#edit-body"), `{"event":"edited"}`),
		chromedp.Click(chromedp.CSS("#replay-send")),
		// The replay's capture opens in the pane, linked to its original.
		chromedp.WaitVisible(chromedp.CSS("#replay-of")),
	)
	got := o.received()
	if len(got) != 2 || got[1] != `{"event":"edited"}` {
		t.Fatalf("the local service received %q, want the original then the edited body", got)
	}
	// The new capture is in the list, marked as a replay.
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#requests tr.row .badge.replay`)))
	rs := d.requests(t, "limit=1")
	if len(rs) != 1 || rs[0].ReplayOf == nil {
		t.Fatalf("newest capture %+v is not the replay", rs)
	}
	if body := jsString(t, ctx, `document.querySelector("#side-request pre.body-view").textContent`); !strings.Contains(body, `"edited"`) {
		t.Fatalf("the replay's detail shows request body %q", body)
	}
	// "edited" comes with the replay's modified field (another change adds
	// it to the API): once the server says so, the list and pane show it.
	if rs[0].Modified != nil && *rs[0].Modified {
		do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#requests tr.row .badge.edited`)), chromedp.WaitVisible(chromedp.CSS(`#detail .badge.edited`)))
	} else {
		t.Log("the API does not mark edited replays yet (modified); the edited badge is not checked")
	}
	// The link goes back to the original.
	do(t, ctx, chromedp.Click(chromedp.CSS("#replay-of")), chromedp.WaitNotPresent(chromedp.CSS("#replay-of")),
		chromedp.WaitVisible(chromedp.CSS("#side-request pre.body-view")))
	if body := jsString(t, ctx, `document.querySelector("#side-request pre.body-view").textContent`); !strings.Contains(body, `"first"`) {
		t.Fatalf("the original's detail shows request body %q", body)
	}
	// So does the replay badge in the list.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#requests tr.row:has(.badge.replay) td.path`)), chromedp.WaitVisible(chromedp.CSS("#replay-of")),
		chromedp.Click(chromedp.CSS(`#requests tr.row a.badge.replay`)), chromedp.WaitNotPresent(chromedp.CSS("#replay-of")),
		chromedp.WaitVisible(chromedp.CSS("#side-request pre.body-view")))
	if body := jsString(t, ctx, `document.querySelector("#side-request pre.body-view").textContent`); !strings.Contains(body, `"first"`) {
		t.Fatalf("the list's replay badge opened request body %q", body)
	}
}

func TestInspectorCapturedMarkupRunsNothing(t *testing.T) {
	const payload = `<script>window.__pwned = 1; document.title = "pwned"</script>` +
		`<img src=x onerror="window.__pwned = 2; document.title = 'pwned'">`
	d := startDash(t)
	_, host := d.startTunnel(t, "hostile", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(payload))
	})
	d.send(t, host, "POST", "/hostile", "text/html", payload)
	d.waitCaptured(t, "/hostile")
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"), chromedp.Click(chromedp.CSS(`#requests tr.row`)),
		chromedp.WaitVisible(chromedp.CSS("#side-request pre.body-view.html")))
	title := jsString(t, ctx, `document.title`)
	// Every view of the capture: request, response (with the sandboxed
	// preview), raw.
	do(t, ctx, chromedp.Click(chromedp.CSS("#side-request .preview-toggle")), chromedp.WaitVisible(chromedp.CSS("#side-request iframe.preview")))
	if sb := jsString(t, ctx, `document.querySelector("#side-request iframe.preview").getAttribute("sandbox")`); sb != "" {
		t.Fatalf("the preview's sandbox allows %q", sb)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#tab-response")), chromedp.WaitVisible(chromedp.CSS("#side-response pre.body-view.html")),
		chromedp.Click(chromedp.CSS("#side-response .preview-toggle")), chromedp.WaitVisible(chromedp.CSS("#side-response iframe.preview")),
		chromedp.Click(chromedp.CSS("#tab-raw")), chromedp.WaitVisible(chromedp.CSS("#raw-exchange")))
	// Give an onerror or a script a moment to run, had it been markup.
	get(t, ctx, chromedp.Evaluate[bool](`new Promise((ok) => setTimeout(() => ok(true), 500))`, chromedp.EvalAwaitPromise))
	if pwned := jsString(t, ctx, `String(window.__pwned)`); pwned != "undefined" {
		t.Fatalf("captured content ran: window.__pwned = %s", pwned)
	}
	if now := jsString(t, ctx, `document.title`); now != title || strings.Contains(now, "pwned") {
		t.Fatalf("captured content changed the title to %q", now)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('img[src="x"], img[onerror], script:not([src])').length`)); n != 0 {
		t.Fatalf("%d elements from captured content are in the page", n)
	}
	if raw := jsString(t, ctx, `document.querySelector("#raw-exchange").textContent`); !strings.Contains(raw, "<script>window.__pwned") {
		t.Fatalf("the raw exchange does not show the body as text: %q", raw)
	}
}

func TestInspectorLoadsOlderPages(t *testing.T) {
	d := startDash(t)
	_, host := d.startTunnel(t, "pages", func(w http.ResponseWriter, r *http.Request) {})
	for i := range 105 {
		d.send(t, host, "GET", fmt.Sprintf("/item/%d", i), "", "")
	}
	d.waitCaptured(t, "/item/104")
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"))
	waitLive(t, ctx)
	if n := jsString(t, ctx, `document.querySelector("#requests").dataset.rows`); n != "100" {
		t.Fatalf("the first page holds %s rows, want 100", n)
	}
	// Only the rows in view are drawn.
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#requests tr.row").length`)); n >= 100 {
		t.Fatalf("%d rows in the DOM for a page of 100", n)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#load-older")))
	get(t, ctx, chromedp.Poll[bool](`document.querySelector("#requests").dataset.rows === "105" && document.querySelector("#load-older").hidden`))
	// Scrolled to the bottom, the oldest is drawn last.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("section.list").scrollTop = 1e6`))
	get(t, ctx, chromedp.Poll[bool](`[...document.querySelectorAll("#requests tr.row td.path")].pop().textContent === "/item/0"`))
	// j from the top walks down the rows, drawing them as it goes.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("section.list").scrollTop = 0`))
	for range 60 {
		do(t, ctx, chromedp.KeyEvent("j"))
	}
	get(t, ctx, chromedp.Poll[bool](`(() => { const r = document.querySelector("#requests tr.row.selected td.path"); return r && r.textContent === "/item/45" })()`))
}

// Needs the server-side filters (another change adds method, status,
// path, since/until, minDurationMs, errors and replays to the list
// routes): until they are merged the server ignores them, and this test
// skips itself.
func TestInspectorFiltersLiveInTheURLAndAreAppliedOnTheServer(t *testing.T) {
	d := startDash(t)
	_, host := d.startTunnel(t, "filters", func(w http.ResponseWriter, r *http.Request) {})
	d.send(t, host, "GET", "/alpha", "", "")
	d.send(t, host, "GET", "/beta", "", "")
	d.send(t, host, "POST", "/beta", "text/plain", "x")
	d.waitCaptured(t, "/beta")
	if rs := d.requests(t, "path=alp"); len(rs) != 1 {
		t.Skipf("the server does not filter by path yet (%d requests for path=alp): needs the server-side filters merged", len(rs))
	}
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector?path=alp"))
	waitLive(t, ctx)
	rows := `[...document.querySelectorAll("#requests tr.row")].map((r) => r.querySelector(".method").textContent + " " + r.querySelector(".path").textContent).join(",")`
	if got := jsString(t, ctx, rows); got != "GET /alpha" {
		t.Fatalf("?path=alp shows %q", got)
	}
	if v := get(t, ctx, chromedp.Value(chromedp.CSS("#f-path"))); v != "alp" {
		t.Fatalf("the path filter shows %q, want the URL's alp", v)
	}
	do(t, ctx, chromedp.Clear(chromedp.CSS("#f-path")), chromedp.SendKeys(chromedp.CSS("#f-path"), "bet\r"))
	get(t, ctx, chromedp.Poll[bool](rows+` === "POST /beta,GET /beta"`))
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#f-method"), "POST"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-method").dispatchEvent(new Event("change"))`))
	get(t, ctx, chromedp.Poll[bool](rows+` === "POST /beta"`))
	if loc := get(t, ctx, chromedp.Location()); loc != d.URL+"/inspector?path=bet&method=POST" {
		t.Fatalf("the URL is %q", loc)
	}
	// A live request the filters exclude stays out of the list.
	d.send(t, host, "GET", "/beta", "", "")
	d.send(t, host, "POST", "/beta", "text/plain", "y")
	get(t, ctx, chromedp.Poll[bool](rows+` === "POST /beta,POST /beta"`))
}

func TestInspectorLiveTailKeepsAtMost500Rows(t *testing.T) {
	d := startDash(t)
	_, host := d.startTunnel(t, "bound", func(w http.ResponseWriter, r *http.Request) {})
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"))
	waitLive(t, ctx)
	const n = 530
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			for i := w; i < n; i += 6 {
				req, _ := http.NewRequest("GET", "http://"+d.Server.Addr+fmt.Sprintf("/n/%d", i), nil)
				req.Host = host
				res, err := c.Do(req)
				if err != nil {
					t.Error(err) // not Fatal: this is not the test's goroutine
					return
				}
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// All captured (each is recorded just after its answer), then all shown:
	// the page's newest row is the server's newest capture.
	var newest string
	deadline := time.Now().Add(10 * time.Second)
	for {
		total, before := 0, ""
		for {
			rs := d.requests(t, "limit=100"+before)
			if total == 0 && len(rs) > 0 {
				newest = rs[0].ID
			}
			total += len(rs)
			if len(rs) < 100 {
				break
			}
			before = "&before_id=" + rs[len(rs)-1].ID
		}
		if total == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d requests captured after 10 s", total, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	get(t, ctx, chromedp.Poll[bool](`(() => { const r = document.querySelector("#requests tr.row"); return r && r.dataset.id === "`+newest+`" })()`))
	// Every one arrived live, and the list kept the newest 500; only the
	// rows in view are drawn.
	get(t, ctx, chromedp.Poll[bool](`document.querySelector("#requests").dataset.rows === "500" && !document.querySelector("#load-older").hidden`))
	if drawn := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#requests tr.row").length`)); drawn > 100 {
		t.Fatalf("%d rows in the DOM", drawn)
	}
	// Load older goes on from the last one kept.
	do(t, ctx, chromedp.Click(chromedp.CSS("#load-older")))
	get(t, ctx, chromedp.Poll[bool](`document.querySelector("#requests").dataset.rows === "530" && document.querySelector("#load-older").hidden`))
}
