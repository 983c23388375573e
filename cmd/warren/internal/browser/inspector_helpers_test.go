package browser

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"warren/cmd/warren/internal/warrentest"
)

// origin is a real local service behind a tunnel: it answers with
// handler and remembers every request body it received.
type origin struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
}

func (o *origin) received() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.bodies...)
}

// startTunnel starts a local service on 127.0.0.1 and `warren http PORT
// --subdomain sub` for it, and returns the service and the tunnel's
// public host (sub.localhost:PORT).
func (d *dash) startTunnel(t testing.TB, sub string, handler http.HandlerFunc) (*origin, string) {
	t.Helper()
	o := &origin{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.bodies = append(o.bodies, string(b))
		o.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(o.srv.Close)
	_, port, _ := net.SplitHostPort(o.srv.Listener.Addr().String())
	a := warrentest.StartAgent(t, d.Server, d.Key, "http", port, "--subdomain", sub)
	m := regexp.MustCompile(`Forwarding http://(` + regexp.QuoteMeta(sub) + `\.\S+) -> `).FindStringSubmatch(a.Wait(t, "Forwarding http://"+sub+"."))
	if m == nil {
		t.Fatalf("no Forwarding line in %q", a.Output())
	}
	return o, m[1]
}

// send makes one public request to host through the server's listener.
func (d *dash) send(t testing.TB, host, method, path, contentType, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+d.Server.Addr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// summary is the part of a captured request's summary the tests read.
type summary struct {
	ID        string   `json:"id"`
	Path      string   `json:"path"`
	Method    string   `json:"method"`
	ReplayOf  *string  `json:"replayOf"`
	Modified  *bool    `json:"modified"`
	Overrides []string `json:"overrides"`
}

// requests lists the account's captures through the API with its key
// (query: extra parameters, e.g. "path=alp").
func (d *dash) requests(t testing.TB, query string) []summary {
	t.Helper()
	req, _ := http.NewRequest("GET", d.URL+"/v1/requests?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+d.Key)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var page struct {
		Requests []summary `json:"requests"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/requests?%s: %d: %v", query, res.StatusCode, err)
	}
	return page.Requests
}

// waitCaptured waits until the account's newest capture is of path: a
// capture is recorded as its exchange ends, just after the client has its
// answer, so a test that sent requests one by one waits for the last.
func (d *dash) waitCaptured(t testing.TB, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rs := d.requests(t, "limit=5")
		if len(rs) > 0 && rs[0].Path == path {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the newest capture is not of %s after 20 s; the newest are %+v", path, rs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitLive waits for the inspector's first page and its live stream.
func waitLive(t testing.TB, ctx context.Context) {
	t.Helper()
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".inspector")))
	get(t, ctx, chromedp.Poll[bool](`!document.querySelector("#requests[data-loading]") && document.querySelector("#live-state").textContent === "live"`))
}

// jsString evaluates a JavaScript expression that yields a string.
func jsString(t testing.TB, ctx context.Context, expr string) string {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[string](expr))
}
