package browser

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"warren/cmd/warren/internal/warrentest"
)

// A new user's path: the first start prints a one-time set-password link
// for the operator; opening it, choosing a password and signing in needs
// no other command.
func TestFirstStartLinkLetsTheOperatorSignIn(t *testing.T) {
	s := warrentest.StartServer(t, t.TempDir())
	out := s.WaitOutput(t, "/set-password#")
	link := regexp.MustCompile(`http://\S+/set-password#\S+`).FindString(out)
	if link == "" {
		t.Fatalf("no set-password link in the first start's output:\n%s", out)
	}
	base := link[:strings.Index(link, "/set-password#")] // the printed URL: localhost, not 127.0.0.1
	d := &dash{Server: s, URL: base, Email: "operator@localhost", Password: "a long first password"}
	ctx := browser(t)
	do(t, ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#new-password")),
		chromedp.SendKeys(chromedp.CSS("#new-password"), d.Password),
		chromedp.SendKeys(chromedp.CSS("#new-password-again"), d.Password),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("a[href='/login']")),
	)
	// The token left the address bar: it is spent.
	if loc := get(t, ctx, chromedp.Location()); loc != d.URL+"/set-password" {
		t.Fatalf("after use the address is %q", loc)
	}
	d.signIn(t, ctx)
	if who := get(t, ctx, chromedp.Text(chromedp.CSS("header .who"))); who != d.Email {
		t.Fatalf("signed in as %q, want %q", who, d.Email)
	}
	// A second use of the same link is refused.
	do(t, ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#new-password")),
		chromedp.SendKeys(chromedp.CSS("#new-password"), "another password 2"),
		chromedp.SendKeys(chromedp.CSS("#new-password-again"), "another password 2"),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form p.error:not(:empty)")),
	)
}
