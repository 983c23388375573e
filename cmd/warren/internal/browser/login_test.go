package browser

import (
	"testing"

	"github.com/chromedp/chromedp"
)

func TestSignInAndSignOut(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	d.signIn(t, ctx)
	if who := get(t, ctx, chromedp.Text(chromedp.CSS("header .who"))); who != d.Email {
		t.Fatalf("header shows %q, want %q", who, d.Email)
	}
	screenshot(t, ctx, "overview")
	do(t, ctx, chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#email")))
	// Signed out for real: the server forgot the session, so the app sends
	// a visit to a page back to the login page.
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"), chromedp.WaitVisible(chromedp.CSS("#email")))
	if loc, want := get(t, ctx, chromedp.Location()), d.URL+"/login?next=%2Finspector"; loc != want {
		t.Fatalf("after sign-out /inspector went to %q, want %q", loc, want)
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	do(t, ctx,
		chromedp.Navigate(d.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), d.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password"),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#login-error:not(:empty)")),
	)
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS("#login-error"))); msg != "wrong email or password" {
		t.Fatalf("login error %q", msg)
	}
	if loc := get(t, ctx, chromedp.Location()); loc != d.URL+"/login" {
		t.Fatalf("a wrong password left the login page for %q", loc)
	}
}
