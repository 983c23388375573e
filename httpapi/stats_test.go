package httpapi

import (
	"testing"
	"time"
)

// TestServer_Stats counts the event streams open: up while a client holds
// one, down once it leaves.
func TestServer_Stats(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "streams@example.com", "pro", false)
	e.tunnel(t, acc, "watched", 0)
	if n := e.srv.Stats().SSESubscribers; n != 0 {
		t.Fatalf("%d subscribers before any stream", n)
	}
	a := e.openSSE(t, "/api/v1/me/tunnels/watched/requests/stream", key, "")
	b := e.openSSE(t, "/api/v1/me/tunnels/watched/requests/stream", key, "")
	if n := e.srv.Stats().SSESubscribers; n != 2 {
		t.Errorf("%d subscribers with two streams open", n)
	}
	a.close()
	b.close()
	deadline := time.Now().Add(5 * time.Second)
	for e.srv.Stats().SSESubscribers != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers 5 s after both left", e.srv.Stats().SSESubscribers)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
