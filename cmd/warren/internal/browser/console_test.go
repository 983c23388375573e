package browser

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestConsolePagesLoadWithoutConsoleErrors(t *testing.T) {
	d := startDash(t)
	d.openTunnel(t, 5)
	ctx := browser(t)
	w := watchConsole(t, ctx)
	d.signIn(t, ctx)
	for _, p := range []struct{ path, wait, shot string }{
		{"/", "#live-table", "overview"},
		{"/tunnels", "#tunnels-table", "tunnels"},
		{"/reservations", "#reserve-form", "reservations"},
		{"/domains", "#domain-form", "domains"},
		{"/keys", "#keys-table", "keys"},
		{"/audit", "#audit-table", "audit"},
		{"/statements", "#statement .kv", "statements"},
		{"/sessions", "#sessions-table", "sessions"},
		{"/admin", "#accounts-table", "admin"},
	} {
		visit(t, ctx, d.URL+p.path)
		do(t, ctx, chromedp.WaitVisible(chromedp.CSS(p.wait)))
		if p.shot != "" {
			screenshot(t, ctx, p.shot)
		}
	}
	// The overview counts the live tunnel and draws 30 days of usage.
	visit(t, ctx, d.URL+"/")
	if got := get(t, ctx, chromedp.Text(chromedp.CSS("#meter-tunnels .value"))); !strings.HasPrefix(got, "1 /") {
		t.Errorf("tunnels meter %q, want 1 / …", got)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#usage-chart svg.chart g.day").length`)); n != 2*30 {
		t.Errorf("the chart has %d day bars, want 30 in each of its two charts", n)
	}
	// The chart takes another range and one tunnel; the URL keeps both.
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#usage-days"), "7"))
	get(t, ctx, chromedp.Poll[bool](`document.querySelectorAll("#usage-chart svg.chart g.day").length === 14`))
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#usage-tunnel"), "demo"))
	get(t, ctx, chromedp.Poll[bool](`location.search === "?days=7&tunnel=demo"`))
	visit(t, ctx, d.URL+"/?days=7&tunnel=demo")
	if got := get(t, ctx, chromedp.Text(chromedp.CSS("#usage-chart .legend b"))); got != "5" {
		t.Errorf("the demo tunnel's requests over 7 days read %q, want 5", got)
	}
	// The statement's CSV link answers CSV to the signed-in browser.
	visit(t, ctx, d.URL+"/statements")
	csv := get(t, ctx, chromedp.Evaluate[string](`fetch(document.querySelector("#statement-csv").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(csv, "accountId,email,plan,month") || !strings.Contains(csv, d.Email) {
		t.Errorf("the statement's CSV link answered %q", csv)
	}
	if errs := w.errors(); len(errs) > 0 {
		t.Fatalf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

func TestThemeToggleSwitchesDataTheme(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	d.signIn(t, ctx)
	theme := func() string {
		return get(t, ctx, chromedp.Evaluate[string](`document.documentElement.dataset.theme`))
	}
	before := theme()
	if before != "light" && before != "dark" {
		t.Fatalf("data-theme %q before the toggle", before)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#theme")))
	after := theme()
	if after == before || (after != "light" && after != "dark") {
		t.Fatalf("data-theme %q after the toggle, was %q", after, before)
	}
	// The choice is remembered across a reload.
	visit(t, ctx, d.URL+"/keys")
	if got := theme(); got != after {
		t.Fatalf("after a reload data-theme is %q, want %q", got, after)
	}
	screenshot(t, ctx, "keys-"+after)
	visit(t, ctx, d.URL+"/")
	screenshot(t, ctx, "overview-"+after)
}

func TestAPIKeyCreatedInTheUIWorksAndIsNeverShownAgain(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	d.signIn(t, ctx)
	visit(t, ctx, d.URL+"/keys")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#key-description"), "ci runner"),
		chromedp.Click(chromedp.CSS("#create-key")),
		chromedp.WaitVisible(chromedp.CSS("#new-key-secret")),
	)
	secret := get(t, ctx, chromedp.Text(chromedp.CSS("#new-key-secret")))
	if !strings.HasPrefix(secret, "ak_") {
		t.Fatalf("the page shows %q as the new key", secret)
	}
	// The key works as a Bearer key, as curl would send it.
	var me struct{ Email string }
	if st := apiJSON(t, "GET", d.URL+"/v1/me", secret, "", &me); st != 200 || me.Email != d.Email {
		t.Fatalf("GET /v1/me with the new key: %d %+v", st, me)
	}
	screenshot(t, ctx, "keys-created")
	// Nowhere after a reload: not in the DOM, not in storage, not in the URL;
	// nor on the audit log, which lists its key.created.
	notShown := `(s) => !document.documentElement.outerHTML.includes(s) && !document.body.innerText.includes(s) &&
		!JSON.stringify(localStorage).includes(s) && !JSON.stringify(sessionStorage).includes(s) && !location.href.includes(s)`
	quoted, _ := json.Marshal(secret)
	for _, page := range []string{"/keys", "/audit?type=key."} {
		visit(t, ctx, d.URL+page)
		if !get(t, ctx, chromedp.Evaluate[bool]("("+notShown+")("+string(quoted)+")")) {
			t.Fatalf("the secret is still visible on %s after a reload", page)
		}
	}
	visit(t, ctx, d.URL+"/keys")
	if n := get(t, ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("#keys-table tbody tr")].filter(r => r.innerText.includes("ci runner")).length`)); n != 1 {
		t.Fatalf("the list shows the new key %d times, want once (by its prefix)", n)
	}
}

func TestCrossOriginFormPostWithTheSessionCookieIsRefused(t *testing.T) {
	d := startDash(t)
	// Another origin on the same site (same host, another port): the
	// browser sends the SameSite=Lax cookie with its top-level form post,
	// so only the origin check stands between it and a new key. The form
	// sends text/plain shaped as JSON, the classic trick.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><form id="f" method="POST" enctype="text/plain" action="`+d.URL+`/v1/keys">`+
			`<input type="hidden" name='{"description":"csrf","x":"' value='"}'></form>`+
			`<script>document.getElementById("f").submit()</script>`)
	}))
	t.Cleanup(evil.Close)
	ctx := browser(t)
	d.signIn(t, ctx)
	before := d.keyCount(t)
	do(t, ctx, chromedp.Navigate(evil.URL), chromedp.WaitVisible(chromedp.CSS("body")))
	// The post navigates the tab to the API's answer.
	get(t, ctx, chromedp.Poll[bool](`location.pathname === "/v1/keys" && document.readyState === "complete"`))
	body := get(t, ctx, chromedp.Text(chromedp.CSS("body")))
	var answer struct{ Error, Message string }
	if err := json.Unmarshal([]byte(body), &answer); err != nil || answer.Error != "forbidden" || !strings.Contains(answer.Message, "cross-origin") {
		t.Fatalf("the cross-origin post got %q, want a 403 forbidden for a cross-origin request", body)
	}
	if after := d.keyCount(t); after != before {
		t.Fatalf("the cross-origin post created a key: %d keys, was %d", after, before)
	}
}
func TestReservationsAreCreatedAndReleasedAndErrorsShowTheServersMessage(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	d.signIn(t, ctx)
	visit(t, ctx, d.URL+"/reservations")
	reserve := func(name string) {
		do(t, ctx,
			chromedp.SetValue(chromedp.CSS("#reservation-name"), name),
			chromedp.Click(chromedp.CSS("#reserve")))
	}
	reserve("stripe-dev")
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-release="stripe-dev"]`)))
	if got := d.reservations(t); len(got) != 1 || got[0] != "stripe-dev" {
		t.Fatalf("after reserving in the UI the API lists %v", got)
	}
	// A refusal shows the server's own message: here the free plan's limit.
	var want struct{ Error, Message string }
	if st := apiJSON(t, "POST", d.URL+"/api/v1/me/reservations", d.Key, `{"subdomain":"second-one"}`, &want); st != 429 || want.Message == "" {
		t.Fatalf("a second reservation on the free plan: %d %+v, want 429 with a message", st, want)
	}
	reserve("second-one")
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#reservations-error:not(:empty)")))
	if got := get(t, ctx, chromedp.Text(chromedp.CSS("#reservations-error"))); got != want.Message {
		t.Fatalf("the page says %q, the server said %q", got, want.Message)
	}
	// Release asks once more, then frees the name.
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-release="stripe-dev"]`)),
		chromedp.Click(chromedp.CSS(`[data-release="stripe-dev"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-release="stripe-dev"]`)))
	if got := d.reservations(t); len(got) != 0 {
		t.Fatalf("after releasing in the UI the API lists %v", got)
	}
}

func TestOperatorCreatesAnAccountAndChangesItsPlan(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	w := watchConsole(t, ctx)
	d.signIn(t, ctx)
	visit(t, ctx, d.URL+"/admin")
	// The plans and their limits come from the server.
	plans := get(t, ctx, chromedp.Text(chromedp.CSS("#plans-table")))
	for _, want := range []string{"free", "pro", "unlimited", "50.0 GiB"} {
		if !strings.Contains(plans, want) {
			t.Fatalf("the plans table lacks %q:\n%s", want, plans)
		}
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#new-account-email"), "grace@example.com"),
		chromedp.SendKeys(chromedp.CSS("#new-account-name"), "Grace Hopper"),
		chromedp.Click(chromedp.CSS("#create-account")),
		chromedp.WaitVisible(chromedp.CSS("#new-account-key")))
	key := get(t, ctx, chromedp.Text(chromedp.CSS("#new-account-key")))
	var me struct{ ID, Email, Plan string }
	if st := apiJSON(t, "GET", d.URL+"/v1/me", key, "", &me); st != 200 || me.Email != "grace@example.com" || me.Plan != "free" {
		t.Fatalf("the new account's key: %d %+v", st, me)
	}
	screenshot(t, ctx, "admin-created")
	// Change the plan from the account's row.
	sel := `select.plan[data-account="` + me.ID + `"]`
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(sel)))
	if !get(t, ctx, chromedp.Evaluate[bool](`(() => { const s = document.querySelector('`+sel+`'); s.value = "pro"; s.dispatchEvent(new Event("change")); return true })()`)) {
		t.Fatal("could not pick the plan")
	}
	get(t, ctx, chromedp.Poll[bool](`[...document.querySelectorAll(".toast")].some(e => e.textContent.includes("now on pro"))`))
	if st := apiJSON(t, "GET", d.URL+"/v1/me", key, "", &me); st != 200 || me.Plan != "pro" {
		t.Fatalf("after the change the account is %d %+v, want plan pro", st, me)
	}
	// The set-password link for the new account.
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-password-link="`+me.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#password-link")))
	if link := get(t, ctx, chromedp.Text(chromedp.CSS("#password-link"))); !strings.Contains(link, "/set-password#") {
		t.Fatalf("set-password link %q", link)
	}
	// "/" jumps to the list's filter, which narrows the rows as one types.
	// (chromedp types a key as keyDown then a separate char event, which the
	// page's preventDefault on keydown cannot stop as a real key's would,
	// so the "/" it leaves in the field is cleared.)
	do(t, ctx, chromedp.KeyEvent("/"))
	if !get(t, ctx, chromedp.Evaluate[bool](`document.activeElement.matches("input.filter")`)) {
		t.Fatal(`"/" did not focus the accounts filter`)
	}
	get(t, ctx, chromedp.Evaluate[bool](`(document.activeElement.value = "") === ""`))
	do(t, ctx, chromedp.KeyEvent("grace"))
	shown := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#accounts-table tbody tr")].filter(r => !r.hidden).map(r => r.cells[0].textContent)`))
	if len(shown) != 1 || shown[0] != "grace@example.com" {
		t.Fatalf("filtering the accounts by \"grace\" shows %q (filter %q)", shown, get(t, ctx, chromedp.Evaluate[string](`document.querySelector("input.filter").value`)))
	}
	if errs := w.errors(); len(errs) > 0 {
		t.Fatalf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

func TestCustomDomainShowsItsTXTRecordAndIsRemoved(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	d.signIn(t, ctx)
	visit(t, ctx, d.URL+"/domains")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#domain-name"), "app.example.com"),
		chromedp.Click(chromedp.CSS("#add-domain")),
		chromedp.WaitVisible(chromedp.CSS(`[data-domain="app.example.com"] .txt-value`)))
	var page struct {
		Domains []struct {
			State     string
			TxtRecord struct{ Name, Value string }
		}
	}
	if st := apiJSON(t, "GET", d.URL+"/v1/domains", d.Key, "", &page); st != 200 || len(page.Domains) != 1 {
		t.Fatalf("GET /v1/domains: %d %+v", st, page)
	}
	if got := get(t, ctx, chromedp.Text(chromedp.CSS(`[data-domain="app.example.com"] .txt-value`))); got != page.Domains[0].TxtRecord.Value {
		t.Fatalf("the page shows TXT value %q, the API %q", got, page.Domains[0].TxtRecord.Value)
	}
	if got := get(t, ctx, chromedp.Text(chromedp.CSS(`[data-domain="app.example.com"] .badge`))); got != page.Domains[0].State {
		t.Fatalf("the page shows state %q, the API %q", got, page.Domains[0].State)
	}
	screenshot(t, ctx, "domains-added")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-remove="app.example.com"]`)),
		chromedp.Click(chromedp.CSS(`[data-remove="app.example.com"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-domain="app.example.com"]`)))
	if st := apiJSON(t, "GET", d.URL+"/v1/domains", d.Key, "", &page); st != 200 || len(page.Domains) != 0 {
		t.Fatalf("after removing in the UI: %d %+v", st, page)
	}
}

func TestSignOutEverywhereEndsEverySession(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	d.signIn(t, ctx)
	// A second session, from another client.
	res, err := testClient().Post(d.URL+"/api/v1/session", "application/json",
		strings.NewReader(`{"email":"`+d.Email+`","password":"`+d.Password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("second sign-in: %d", res.StatusCode)
	}
	// The header's email leads to the sessions page.
	do(t, ctx, chromedp.Click(chromedp.CSS("header .who")), chromedp.WaitVisible(chromedp.CSS("main[data-ready] #sessions-table")))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#sessions-table tbody tr").length`)); n != 2 {
		t.Fatalf("the sessions page lists %d sessions, want 2", n)
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS("#signout-everywhere")),
		chromedp.Click(chromedp.CSS("#signout-everywhere")),
		chromedp.WaitVisible(chromedp.CSS("#email")))
	var list struct{ Sessions []struct{ ID string } }
	if st := apiJSON(t, "GET", d.URL+"/api/v1/me/sessions", d.Key, "", &list); st != 200 || len(list.Sessions) != 0 {
		t.Fatalf("after signing out everywhere: %d, %d sessions left", st, len(list.Sessions))
	}
}

func TestTunnelsAndAuditFollowTheEventStream(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	d.signIn(t, ctx)
	visit(t, ctx, d.URL+"/tunnels")
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#next-steps")))
	// A tunnel opened in a terminal appears without a reload.
	d.openTunnel(t, 1)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-close="demo"]`)))
	visit(t, ctx, d.URL+"/audit?type=reservation.")
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#audit-live.open")))
	if st := apiJSON(t, "POST", d.URL+"/api/v1/me/reservations", d.Key, `{"subdomain":"from-curl"}`, nil); st != 201 {
		t.Fatalf("reserve: %d", st)
	}
	get(t, ctx, chromedp.Poll[bool](`[...document.querySelectorAll("#audit-table tbody tr")].some(r => r.innerText.includes("from-curl"))`))
}

func TestANewAccountIsToldWhatToRunAndSeesNoOperatorConsole(t *testing.T) {
	d := startDash(t)
	var acc struct{ ID string }
	if st := apiJSON(t, "POST", d.URL+"/api/v1/admin/accounts", d.Key, `{"email":"lin@example.com","plan":"free"}`, &acc); st != 201 {
		t.Fatalf("create account: %d", st)
	}
	if st := apiJSON(t, "PUT", d.URL+"/api/v1/admin/accounts/"+acc.ID+"/password", d.Key, `{"password":"`+testPassword+`"}`, nil); st != 204 {
		t.Fatalf("set password: %d", st)
	}
	d.Email = "lin@example.com"
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("main[data-ready] #next-steps")))
	if got := get(t, ctx, chromedp.Text(chromedp.CSS("#next-steps"))); !strings.Contains(got, "warren http 3000") || !strings.Contains(got, "warren login --server "+d.URL) {
		t.Fatalf("the empty overview says %q, want the commands to run", got)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('header nav a[href="/admin"]').length`)); n != 0 {
		t.Fatal("a plain account's header links to the operator console")
	}
	do(t, ctx, chromedp.Navigate(d.URL+"/admin"), chromedp.WaitVisible(chromedp.CSS("main[data-ready] #meters")))
	if loc := get(t, ctx, chromedp.Location()); loc != d.URL+"/" {
		t.Fatalf("a plain account's visit to /admin ended on %q, want the overview", loc)
	}
}
