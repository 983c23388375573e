package browser

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"warren/cmd/warren/internal/warrentest"
)

// consoleWatch collects what a tab reports as errors: uncaught exceptions,
// console.error calls and error entries of the browser log (a failed
// request, a CSP refusal).
type consoleWatch struct {
	mu   sync.Mutex
	errs []string
}

// watchConsole starts collecting the tab's errors until the test ends.
func watchConsole(t *testing.T, ctx context.Context) *consoleWatch {
	t.Helper()
	w := &consoleWatch{}
	lctx, cancel := context.WithCancel(ctx)
	msgs := chromedp.Console(lctx) // subscribed now, before the pages load
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				w.mu.Lock()
				w.errs = append(w.errs, m.String()+" ("+m.URL+")")
				w.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return w
}

func (w *consoleWatch) errors() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.errs...)
}

// visit opens a page of the app and waits until it drew its data.
func visit(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main[data-ready]")))
}

// apiJSON calls the API with a Bearer key, as curl would, and decodes the
// answer into v (when not nil); it returns the status.
func apiJSON(t *testing.T, method, url, key, body string, v any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := testClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if v != nil {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return res.StatusCode
}

// testClient is a client that keeps no idle connection, so no goroutine
// of its outlives the test.
func testClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// keyCount is how many API keys the account has, revoked ones included.
func (d *dash) keyCount(t *testing.T) int {
	t.Helper()
	var page struct {
		Keys []struct{ ID string } `json:"keys"`
	}
	if st := apiJSON(t, "GET", d.URL+"/v1/keys", d.Key, "", &page); st != 200 {
		t.Fatalf("GET /v1/keys: %d", st)
	}
	return len(page.Keys)
}

// openTunnel starts a local service and `warren http` to it on subdomain
// demo, and sends n requests through it.
func (d *dash) openTunnel(t *testing.T, n int) {
	t.Helper()
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(local.Close)
	a := warrentest.StartAgent(t, d.Server, d.Key, "http", strings.TrimPrefix(local.URL, "http://"), "--subdomain", "demo")
	a.Wait(t, "Forwarding")
	for range n {
		if st, _ := warrentest.PublicGet(t, d.Server, "demo.localhost", "/api/orders"); st != 200 {
			t.Fatalf("through the tunnel: %d", st)
		}
	}
}

// reservations lists the account's reserved subdomains through the API.
func (d *dash) reservations(t *testing.T) []string {
	t.Helper()
	var page struct {
		Reservations []struct{ Subdomain string } `json:"reservations"`
	}
	if st := apiJSON(t, "GET", d.URL+"/api/v1/me/reservations", d.Key, "", &page); st != 200 {
		t.Fatalf("GET reservations: %d", st)
	}
	var out []string
	for _, r := range page.Reservations {
		out = append(out, r.Subdomain)
	}
	return out
}
