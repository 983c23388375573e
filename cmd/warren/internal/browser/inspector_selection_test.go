package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// check ticks the row of the capture whose path is path.
func check(path string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(fmt.Sprintf(`#requests tr.row:has(td.path[title=%q]) input.check`, path)))
}

func TestInspectorReplaysTheSelectionInArrivalOrder(t *testing.T) {
	d := startDash(t)
	o, host := d.startTunnel(t, "batch", func(w http.ResponseWriter, r *http.Request) {})
	for _, p := range []string{"/a", "/b", "/c"} {
		d.send(t, host, "POST", p, "text/plain", p)
	}
	d.waitCaptured(t, "/c")
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"))
	waitLive(t, ctx)
	// Ticked newest first; replayed oldest first.
	do(t, ctx, check("/c"), check("/a"), chromedp.Click(chromedp.CSS("#replay-selected")))
	get(t, ctx, chromedp.Poll[bool](`document.querySelectorAll("#requests tr.row .badge.replay").length === 2`))
	if got, want := o.received(), []string{"/a", "/b", "/c", "/a", "/c"}; !slices.Equal(got, want) {
		t.Fatalf("the service received %q, want %q", got, want)
	}
}

func TestInspectorExportsTheSelectionAsHAR(t *testing.T) {
	d := startDash(t)
	_, host := d.startTunnel(t, "har", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"path":"` + r.URL.Path + `"}`))
	})
	for _, p := range []string{"/one", "/two", "/three"} {
		d.send(t, host, "POST", p+"?q=1", "application/json", `{"n":"`+p+`"}`)
	}
	// All captured before the page loads: a row arriving live moves the
	// rows under a click.
	d.waitCaptured(t, "/three?q=1")
	ctx := browser(t)
	dir := t.TempDir()
	do(t, ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
		})
		return err
	}))
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"))
	waitLive(t, ctx)
	do(t, ctx, check("/three?q=1"), check("/one?q=1"), chromedp.Click(chromedp.CSS("#export-har")))

	var doc struct {
		Log struct {
			Version string `json:"version"`
			Entries []struct {
				Request struct {
					Method   string `json:"method"`
					URL      string `json:"url"`
					PostData struct {
						Text string `json:"text"`
					} `json:"postData"`
					QueryString []struct{ Name, Value string } `json:"queryString"`
				} `json:"request"`
				Response struct {
					Status  int `json:"status"`
					Content struct {
						Text string `json:"text"`
					} `json:"content"`
				} `json:"response"`
			} `json:"entries"`
		} `json:"log"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.har"))
		if len(files) == 1 {
			b, err := os.ReadFile(files[0])
			if err == nil && json.Unmarshal(b, &doc) == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HAR file downloaded into %s within 10 s", dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if doc.Log.Version != "1.2" || len(doc.Log.Entries) != 2 {
		t.Fatalf("HAR version %q with %d entries, want 1.2 with 2", doc.Log.Version, len(doc.Log.Entries))
	}
	for i, p := range []string{"/one", "/three"} {
		e := doc.Log.Entries[i]
		u, err := url.Parse(e.Request.URL)
		if err != nil || u.Path != p || e.Request.Method != "POST" || e.Request.PostData.Text != `{"n":"`+p+`"}` ||
			len(e.Request.QueryString) != 1 || e.Response.Status != 200 || e.Response.Content.Text != `{"path":"`+p+`"}` {
			t.Fatalf("entry %d is %+v, want POST %s with its bodies (all: %+v)", i, e, p, doc.Log.Entries)
		}
	}
}
