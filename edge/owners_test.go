package edge

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"warren/domain"
	"warren/edge/wire"
)

// edgeGoroutines lists the stacks of goroutines running a session's code.
func sessionGoroutines() []string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "warren/edge.(*session)") {
			out = append(out, g)
		}
	}
	return out
}

// Every goroutine a session starts (its opens and closes, its writer) has
// an owner that Shutdown waits for: once Shutdown returned, none runs.
func TestShutdownWaitsForEveryGoroutine(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "owners@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	a := mustRawAgent(t, te, key)
	a.send(t, wire.Msg{Type: wire.TypeOpen, Ref: "first", Proto: domain.ProtoHTTP, Subdomain: "owner-0", Local: origin})
	te.mustRoute(t, "owner-0")
	// Opens in flight (each appends an event) when Shutdown starts.
	opens := make([]wire.Msg, 200)
	for i := range opens {
		opens[i] = wire.Msg{Type: wire.TypeOpen, Ref: fmt.Sprint(i), Proto: domain.ProtoHTTP, Subdomain: fmt.Sprintf("owner-%d", i+1), Local: origin}
	}
	a.send(t, opens...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := te.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if left := sessionGoroutines(); len(left) > 0 {
		t.Fatalf("%d goroutines of a session still run after Shutdown returned; the first:\n%s", len(left), left[0])
	}
}
