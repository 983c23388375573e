package browser

import (
	"context"
	"strings"
	"testing"
	"time"

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
			const e = document.querySelector("`+sel+`");
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

// The "g then letter" shortcuts chain from page to page without a click in
// between: no page may take the keyboard focus when it loads (the
// reservations page focused its name field, so the next "g d" was typed
// into it instead of going to Domains). "/" then focuses the page's filter.
func TestKeyboardShortcutsChainThroughEveryPage(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	d.signIn(t, ctx)
	visit(t, ctx, d.URL+"/")
	for _, s := range []struct{ key, path, filter string }{
		{"t", "/tunnels", "Filter tunnels"},
		{"r", "/reservations", ""},
		{"d", "/domains", ""},
		{"k", "/keys", "Filter keys"},
		{"a", "/audit", "Filter shown events"},
		{"s", "/statements", ""},
		{"o", "/admin", "Filter accounts"},
		{"t", "/tunnels", "Filter tunnels"},
	} {
		do(t, ctx, chromedp.KeyEvent("g"), chromedp.KeyEvent(s.key))
		if _, err := chromedp.Run(ctxTimeout(t, ctx), chromedp.Poll[bool](`location.pathname === "`+s.path+`" && !!document.querySelector("main[data-ready]")`)); err != nil {
			got := get(t, ctx, chromedp.Evaluate[string](`location.pathname + " (focus: " + (document.activeElement && document.activeElement.id) + ")"`))
			t.Fatalf("g %s: at %s, want %s", s.key, got, s.path)
		}
		if s.filter == "" {
			continue
		}
		do(t, ctx, chromedp.KeyEvent("/"))
		if got := get(t, ctx, chromedp.Evaluate[string](`document.activeElement.getAttribute("aria-label") || ""`)); got == "" || !strings.HasPrefix(got, s.filter) {
			t.Errorf("/ on %s focused %q, want the %q field", s.path, got, s.filter)
		}
		// Leave the filter, as Escape does, for the next shortcut.
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
	}
}

// ctxTimeout bounds one wait to 5 s (a missed shortcut fails fast).
func ctxTimeout(t *testing.T, ctx context.Context) context.Context {
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	t.Cleanup(cancel)
	return c
}
