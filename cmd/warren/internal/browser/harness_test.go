package browser

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"warren/cmd/warren/internal/warrentest"
)

func TestMain(m *testing.M) { warrentest.Main(m) }

// dash is a running `warren serve` with one account that has a password,
// and a browser pointed at it.
type dash struct {
	Server   *warrentest.Server
	Data     string
	URL      string // http://127.0.0.1:PORT
	Email    string
	Password string
	Key      string // the account's first API key (for curl-like checks)
}

const testPassword = "correct horse battery staple"

// startDash starts the server with one operator account (ada@example.com)
// whose password is testPassword.
func startDash(t testing.TB) *dash {
	t.Helper()
	data := t.TempDir()
	key := strings.TrimSpace(warrentest.LastLine(warrentest.MustRun(t, "admin", "account", "create",
		"--data", data, "--init", "--email", "ada@example.com", "--operator").Stdout))
	setPassword(t, data, "ada@example.com", testPassword)
	s := warrentest.StartServer(t, data)
	return &dash{Server: s, Data: data, URL: "http://" + s.Addr, Email: "ada@example.com", Password: testPassword, Key: key}
}

// setPassword sets an account's password offline, from stdin.
func setPassword(t testing.TB, data, email, pw string) {
	t.Helper()
	cmd := exec.Command(warrentest.Bin(), "admin", "account", "password", "--data", data, "--email", email)
	cmd.Env = warrentest.ChildEnv()
	cmd.Stdin = strings.NewReader(pw + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("admin account password: %v\n%s", err, out)
	}
}

// chromiumPath finds Debian's chromium. Without one the browser tests
// skip locally, but fail under CI, where .ci/run installs it.
func chromiumPath(t testing.TB) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH under CI: .ci/run should have installed it")
	}
	t.Skip("no chromium on PATH (apt-get install chromium)")
	return ""
}

// browser starts a headless Chromium for one test; its context is the
// tab. Everything closes at cleanup. Each action should still be bounded
// with its own timeout (run does that).
func browser(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox refuses to start
		chromedp.WindowSize(1366, 860),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelB()
		cancelA()
	})
	// The first Run starts the browser and must not carry a timeout (it
	// would stop the browser with it); later steps are bounded by do/get.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// stepTimeout bounds each do/get call.
const stepTimeout = 20 * time.Second

// do runs steps in order within stepTimeout, failing the test on error.
func do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("chromedp: %v", err)
	}
}

// get runs one action that returns a value, within stepTimeout.
func get[T any](t testing.TB, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("chromedp: %v", err)
	}
	return v
}

// signIn opens the login page and signs in, waiting for the app's header.
func (d *dash) signIn(t testing.TB, ctx context.Context) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(d.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), d.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), d.Password),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#signout")),
	)
}

// screenshot saves the page as NAME.png among the test's artifacts (go
// test -artifacts keeps them; see the Makefile's test-browser target).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := get(t, ctx, chromedp.FullScreenshot(100)) // 100 = PNG; any other quality makes a JPEG
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
