package browser

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"warren/cmd/warren/internal/warrentest"
)

var deviceURLRe = regexp.MustCompile(`http://\S+/device\?code=([B-Z]{4}-[B-Z]{4})`)

// deviceLogin is a running `warren login --server URL` with no key.
type deviceLogin struct {
	url, code      string // the verification URL and user code it shows
	stdout, stderr *warrentest.LockedBuffer
	wait           func() error // its exit
}

// startDeviceLogin runs the real `warren login --server URL`, with no key,
// in env (its own HOME), until it shows the URL to open.
func startDeviceLogin(t *testing.T, d *dash, env []string) deviceLogin {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, warrentest.Bin(), "login", "--server", d.URL)
	cmd.Env = warrentest.ChildEnv(env...)
	stdout, stderr := &warrentest.LockedBuffer{}, &warrentest.LockedBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var waitErr error
	wait := func() error {
		once.Do(func() { waitErr = cmd.Wait() })
		return waitErr
	}
	t.Cleanup(func() {
		cancel()
		wait()
		if t.Failed() {
			t.Logf("warren login stderr: %s", stderr.String())
		}
	})
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := deviceURLRe.FindStringSubmatch(stderr.String()); m != nil {
			return deviceLogin{url: m[0], code: m[1], stdout: stdout, stderr: stderr, wait: wait}
		}
	}
	t.Fatalf("warren login showed no verification URL within 20 s: %q", stderr.String())
	return deviceLogin{}
}

// TestDevicePageApprovesAWarrenLogin: `warren login` running in the test
// shows a link; ada opens it, signs in on the way (the app brings her
// back to the link), sees the device's address and the code, approves;
// the CLI exits 0 and its saved key works.
func TestDevicePageApprovesAWarrenLogin(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	env := warrentest.CLIEnv(t)
	l := startDeviceLogin(t, d, env)
	code := l.code
	if want := d.URL + "/device?code=" + code; l.url != want {
		t.Fatalf("verification URL %q, want %q", l.url, want)
	}
	do(t, ctx,
		chromedp.Navigate(l.url),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), d.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), d.Password),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#device-approve")),
	)
	if loc := get(t, ctx, chromedp.Location()); loc != l.url {
		t.Fatalf("after signing in the page is %q, want the link %q", loc, l.url)
	}
	if got := get(t, ctx, chromedp.Text(chromedp.CSS("#device-user-code"))); got != code {
		t.Fatalf("the page shows code %q, the CLI %q", got, code)
	}
	if ip := get(t, ctx, chromedp.Text(chromedp.CSS("#device-ip"))); ip != "127.0.0.1" {
		t.Fatalf("the page shows the device at %q", ip)
	}
	if asked := get(t, ctx, chromedp.Text(chromedp.CSS("#device-time"))); !strings.Contains(asked, "ago") {
		t.Fatalf("the page shows the time asked as %q", asked)
	}
	screenshot(t, ctx, "device")
	do(t, ctx, chromedp.Click(chromedp.CSS("#device-approve")), chromedp.WaitVisible(chromedp.CSS("#device-done")))
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS("#device-done"))); !strings.Contains(msg, "You can close this tab") {
		t.Fatalf("after approval the page says %q", msg)
	}
	if err := l.wait(); err != nil {
		t.Fatalf("warren login: %v\n%s", err, l.stdout.String())
	}
	if !strings.Contains(l.stdout.String(), "Logged in to "+d.URL+" as "+d.Email) {
		t.Fatalf("warren login printed %q", l.stdout.String())
	}
	// The saved config works, and its key is the one the approval minted.
	warrentest.CLIOK(t, env, "tunnels")
	if out := warrentest.CLIOK(t, env, "keys"); !strings.Contains(out, "warren login on 127.0.0.1") {
		t.Fatalf("warren keys:\n%s", out)
	}
}

// TestDevicePageDeniesATypedCode: the code typed by hand (lower case, no
// link), then Deny: the CLI fails saying so and saves nothing.
func TestDevicePageDeniesATypedCode(t *testing.T) {
	d := startDash(t)
	ctx := browser(t)
	d.signIn(t, ctx)
	env := warrentest.CLIEnv(t)
	l := startDeviceLogin(t, d, env)
	do(t, ctx,
		chromedp.Navigate(d.URL+"/device"),
		chromedp.WaitVisible(chromedp.CSS("#device-code")),
		chromedp.SendKeys(chromedp.CSS("#device-code"), strings.ToLower(l.code)),
		chromedp.Click(chromedp.CSS("#device-continue")),
		chromedp.WaitVisible(chromedp.CSS("#device-deny")),
		chromedp.Click(chromedp.CSS("#device-deny")),
		chromedp.WaitVisible(chromedp.CSS("#device-done[data-outcome=denied]")),
	)
	if err := l.wait(); err == nil || !strings.Contains(l.stderr.String(), "the login was denied in the browser") {
		t.Fatalf("a denied warren login exited %v, saying %q", err, l.stderr.String())
	}
	// Nothing was saved: the CLI is still logged out.
	warrentest.CLIFails(t, env, "", "tunnels")
}
