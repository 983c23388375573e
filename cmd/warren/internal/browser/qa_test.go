package browser

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// In a 900 px window (a laptop with a side panel open) every page of the
// navigation can still be seen and clicked, and the header's buttons keep
// their labels on one line: the nav used to be cut after "API keys", so
// Audit log, Statements and Operator were hidden behind a scrollbar-less
// overflow and "Sign out" broke into two lines.
func TestNarrowWindowShowsTheWholeNavigation(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.EmulateViewport(900, 800))
	visit(t, ctx, d.URL+"/")
	// Each link lies wholly inside the window and inside its nav's box.
	hidden := get(t, ctx, chromedp.Evaluate[[]string](`(() => {
		const nav = document.querySelector("header.top nav").getBoundingClientRect();
		return [...document.querySelectorAll("header.top nav a")].filter(a => {
			const r = a.getBoundingClientRect();
			return r.width === 0 || r.left < nav.left - 0.5 || r.right > nav.right + 0.5 || r.right > innerWidth;
		}).map(a => a.textContent);
	})()`))
	if len(hidden) > 0 {
		t.Errorf("at 900 px these nav links are cut off: %q", hidden)
	}
	for _, sel := range []string{"#signout", "#theme", "header.top .who"} {
		lines := get(t, ctx, chromedp.Evaluate[float64](`(() => {
			const e = document.querySelector("` + sel + `");
			return e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight || "20");
		})()`))
		if lines >= 1.9 {
			t.Errorf("at 900 px %s wraps onto %.1f lines", sel, lines)
		}
	}
	// The links still work: Statements, the last but one, opens its page.
	do(t, ctx, chromedp.Click(chromedp.CSS(`header.top nav a[href="/statements"]`)),
		chromedp.WaitVisible(chromedp.CSS("#statement .kv")))
}
