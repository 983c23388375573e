package browser

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestInspectorCopyAsCurlSendsTheSameRequest(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl on PATH")
	}
	type got struct{ method, path, trace, body string }
	seen := make(chan got, 2)
	d := startDash(t)
	o, host := d.startTunnel(t, "curl", func(w http.ResponseWriter, r *http.Request) {
		seen <- got{r.Method, r.URL.RequestURI(), r.Header.Get("X-Trace"), ""}
	})
	req, _ := http.NewRequest("PUT", "http://"+d.Server.Addr+"/items/7?q=a%20b", strings.NewReader(`{"it's":"quoted $HOME `+"`x`"+`"}`))
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Trace", "it's; $(echo no)")
	res, err := (&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	first := <-seen
	d.waitCaptured(t, "/items/7?q=a%20b")

	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"))
	waitLive(t, ctx)
	// The browser's clipboard needs a permission headless Chromium does not
	// grant: the page's writeText is replaced to keep what it is given.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText = async (s) => { window.__copied = s }`),
		chromedp.Click(chromedp.CSS(`#requests tr.row`)), chromedp.WaitVisible(chromedp.CSS("#detail-summary")),
		chromedp.Click(chromedp.CSS(`#detail .actions button`)))
	cmd := get(t, ctx, chromedp.Poll[string](`window.__copied`))
	if !strings.HasPrefix(cmd, "curl") {
		t.Fatalf("copied %q", cmd)
	}
	// curl resolves *.localhost to loopback itself.
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(cctx, "sh", "-c", cmd+" -sS -o /dev/null").CombinedOutput(); err != nil {
		t.Fatalf("running the copied command:\n%s\n%v: %s", cmd, err, out)
	}
	second := <-seen
	if second != first {
		t.Fatalf("curl sent %+v, the original was %+v", second, first)
	}
	if b := o.received(); len(b) != 2 || b[1] != b[0] {
		t.Fatalf("bodies received: %q", b)
	}
}
