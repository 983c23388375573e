package edge

import (
	"errors"
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

// An upload the local service answers before reading (an early reply) ends
// after the answer was read: the stream goes back to the pool when the
// request writer reports success, and is closed when it reports a failure.
// RoundTrip is called directly so the upload's end is the test's to choose.
func TestStreamTransport_LateWriter(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "late@example.com", "pro")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Full duplex: otherwise net/http drains the upload before the
		// answer goes out. The rest is drained after it.
		http.NewResponseController(w).EnableFullDuplex()
		io.WriteString(w, "early")
	})}
	go origin.Serve(ln)
	defer origin.Close()
	MustOpenHTTP(t, te.MustAgent(t, key), ln.Addr().String(), "late-app")
	te.srv.mu.RLock()
	var tr *streamTransport
	for _, tu := range te.srv.byID {
		if tu.name == "late-app" {
			tr = tu.transport
		}
	}
	te.srv.mu.RUnlock()
	if tr == nil {
		t.Fatal("no late-app tunnel")
	}
	pooled := func() int {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return len(tr.idle)
	}
	// upload sends a request whose body (of unknown length, so written
	// beside the wait for the answer) stays open until finish is called,
	// reads the answer to the end, and checks the stream is not pooled yet.
	upload := func(t *testing.T, finish func(*io.PipeWriter)) {
		t.Helper()
		pr, pw := io.Pipe()
		req, _ := http.NewRequest("POST", te.url("late-app", "/up"), pr)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || string(b) != "early" {
			t.Fatalf("answer %q, %v", b, err)
		}
		if n := pooled(); n != 0 {
			t.Fatalf("%d streams pooled while the upload is still being written", n)
		}
		finish(pw)
	}

	t.Run("FinishedLaterPooled", func(t *testing.T) {
		upload(t, func(pw *io.PipeWriter) {
			io.WriteString(pw, "the rest of the upload")
			pw.Close()
		})
		deadline := time.Now().Add(5 * time.Second)
		for pooled() != 1 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := pooled(); n != 1 {
			t.Fatalf("%d streams pooled once the upload was written, want 1", n)
		}
	})
	t.Run("FailedLaterClosed", func(t *testing.T) {
		tr.CloseIdleConnections()
		tr.mu.Lock()
		tr.closed = false // pool again, from empty
		tr.mu.Unlock()
		upload(t, func(pw *io.PipeWriter) { pw.CloseWithError(errors.New("client went away")) })
		// The writer fails at once; a stream pooled after it would show by then.
		time.Sleep(200 * time.Millisecond)
		if n := pooled(); n != 0 {
			t.Fatalf("%d streams pooled after the upload failed", n)
		}
	})
}
