package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"warren/cmd/warren/internal/warrentest"
)

// TestInspectorSearchesFurtherBackWhenAPageStopsShort: a filtered page
// reads at most --request-scan captures; when none of those match, the
// inspector says so and "Search further back" goes on from where the
// server stopped until the match turns up.
func TestInspectorSearchesFurtherBackWhenAPageStopsShort(t *testing.T) {
	data := t.TempDir()
	warrentest.MustRun(t, "admin", "account", "create", "--data", data, "--init", "--email", "ada@example.com", "--operator")
	setPassword(t, data, "ada@example.com", testPassword)
	seedCaptures(t, data, "ada@example.com", 1500) // /checkout/0 is the oldest; /checkout/1000 does not contain it
	s := warrentest.StartServerAt(t, data, "127.0.0.1:0", "WARREN_REQUEST_SCAN=500")
	d := &dash{Server: s, Data: data, URL: "http://" + s.Addr, Email: "ada@example.com", Password: testPassword}
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector?tunnel=bench&path=/checkout/0"), chromedp.WaitVisible(chromedp.CSS("#search-further")))
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS("#inspector-empty"))); !strings.Contains(msg, "older requests may match") {
		t.Fatalf("a page that stopped short says %q", msg)
	}
	rows := `document.querySelector("#requests").dataset.rows || "0"`
	clicks := 0
	for ; get(t, ctx, chromedp.Evaluate[string](rows)) == "0"; clicks++ {
		if clicks == 4 {
			t.Fatal("no match after 4 searches further back (3 pages of 500 hold it)")
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#search-further")))
		get(t, ctx, chromedp.Poll[bool](`!document.querySelector("#load-older").disabled`))
	}
	paths := get(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#requests tr.row td.path")].map((td) => td.textContent).join(",")`))
	if paths != "/checkout/0" || clicks != 2 {
		t.Fatalf("after %d searches the list holds %q, want /checkout/0 after 2", clicks, paths)
	}
}
