package edge

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestStreamTransport_Pool(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "pool@example.com", "pro")
	var conns atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			io.WriteString(w, r.Method+":"+string(b))
		}),
		// Short, like Node's keep-alive, but long enough that a CI machine
		// under load does not pause that long between two requests.
		IdleTimeout: time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	go origin.Serve(ln)
	defer origin.Close()
	MustOpenHTTP(t, te.MustAgent(t, key), ln.Addr().String(), "pool-app")
	post := func(t *testing.T, body string) {
		t.Helper()
		res, err := te.client.Post(te.url("pool-app", "/p"), "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(b) != "POST:"+body {
			t.Fatalf("%d %q", res.StatusCode, b)
		}
	}

	t.Run("KeepAliveReused", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			post(t, "x")
		}
		if n := conns.Load(); n != 1 {
			t.Fatalf("%d local connections for 5 sequential requests", n)
		}
	})
	t.Run("LocalClosedIdleNotReusedForPOST", func(t *testing.T) {
		time.Sleep(1500 * time.Millisecond) // the origin closes its idle connection
		post(t, "after idle close")
		if n := conns.Load(); n != 2 {
			t.Fatalf("%d local connections, want a fresh one", n)
		}
	})
	t.Run("LocalClosedIdleGETRetried", func(t *testing.T) {
		// A GET takes a pooled stream unprobed: on one the agent closed it
		// fails before any response byte and is retried on a fresh one.
		time.Sleep(1500 * time.Millisecond)
		res, err := te.client.Get(te.url("pool-app", "/g"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(b) != "GET:" {
			t.Fatalf("%d %q", res.StatusCode, b)
		}
		if n := conns.Load(); n != 3 {
			t.Fatalf("%d local connections, want a third", n)
		}
	})
}
