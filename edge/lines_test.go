package edge

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"warren/domain"
	"warren/edge/agent"
	"warren/edge/wire"
)

// TestRequestLines: every captured exchange reaches an agent that asked for
// lines, a commit's worth at a time, none lost to a burst.
func TestRequestLines(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "lines@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	var mu sync.Mutex
	var got, biggest int
	c := te.MustAgent(t, key, func(o *agent.Options) {
		o.OnRequests = func(ls []wire.RequestLine) {
			mu.Lock()
			got += len(ls)
			biggest = max(biggest, len(ls))
			mu.Unlock()
		}
	})
	MustOpenHTTP(t, c, origin, "lines-app")
	const n = 600
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := te.client.Get(te.url("lines-app", "/"))
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}()
	}
	wg.Wait()
	eventually(t, 10*time.Second, "every line", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got >= n
	})
	mu.Lock()
	defer mu.Unlock()
	if got != n || biggest < 2 {
		t.Fatalf("%d lines for %d requests, biggest message %d lines; want all, batched", got, n, biggest)
	}
}

// TestRequestLine_LongPath: a line shows at most 1 KiB of path, cut on a
// character boundary, so a batch of lines stays a small control message.
func TestRequestLine_LongPath(t *testing.T) {
	path := "/" + strings.Repeat("é", 3000) // 2-byte runes: a cut at 1024 splits one
	l := requestLine(domain.CapturedRequest{Method: "GET", Path: path}, time.Time{}).Request
	if len(l.Path) > maxLinePath+len("…") || !utf8.ValidString(l.Path) || !strings.HasSuffix(l.Path, "…") {
		t.Fatalf("line path of %d bytes, valid %v", len(l.Path), utf8.ValidString(l.Path))
	}
	if short := requestLine(domain.CapturedRequest{Path: "/hook"}, time.Time{}).Request.Path; short != "/hook" {
		t.Fatalf("short path became %q", short)
	}
}
