package edge

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"warren/edge/agent"
	"warren/edge/wire"
)

// TestAgentWhoseOutputBlocksKeepsServing: a CLI whose output blocks
// (`warren http 3000 | less`) has a request-line callback that never
// returns. The agent still reads its control stream: it opens another
// tunnel, serves requests, drops and counts the lines it cannot hand over,
// and closes cleanly.
func TestAgentWhoseOutputBlocksKeepsServing(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "pager@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	unblock := make(chan struct{})
	defer close(unblock) // after the client closed: its goroutine then ends
	var once sync.Once
	called := make(chan struct{})
	c := te.MustAgent(t, key, func(o *agent.Options) {
		o.MaxQueuedLines = 8
		o.OnRequest = func(wire.RequestLine) {
			once.Do(func() { close(called) })
			<-unblock // stdout is a full pipe
		}
	})
	MustOpenHTTP(t, c, origin, "paged")
	get := func(sub string) {
		t.Helper()
		res, err := te.client.Get(te.url(sub, "/"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", sub, res.StatusCode)
		}
	}
	get("paged")
	select {
	case <-called:
	case <-time.After(10 * time.Second):
		t.Fatal("no request line reached the callback")
	}
	// The callback is stuck: the control stream must still be read.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.OpenHTTP(ctx, origin, "paged-two"); err != nil {
		t.Fatalf("opening a second tunnel while the output blocks: %v", err)
	}
	for range 30 {
		get("paged-two")
	}
	eventually(t, 10*time.Second, "lines dropped and counted", func() bool { return c.DroppedLines() > 0 })
	done := make(chan error, 1)
	go func() { done <- c.Close(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("close: %v", err)
		}
	case <-time.After(6 * time.Second):
		t.Fatal("Close did not return while the output blocks")
	}
}
