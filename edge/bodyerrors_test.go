package edge

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"warren/edge/agent"
)

// Request bodies the edge cannot pass on whole: one the local service
// answered without reading, and one that is malformed.
func TestServer_RequestBodyErrors(t *testing.T) {
	te := MustEdge(t, func(c *Config) { c.ResponseHeaderTimeout = 30 * time.Second })
	acc, key := te.MustAccount(t, "body@example.com", "pro")
	var smuggled atomic.Int32
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/early":
			w.WriteHeader(http.StatusRequestEntityTooLarge) // without reading the body
		case "/smuggled":
			smuggled.Add(1)
		default:
			io.Copy(io.Discard, r.Body)
		}
	}))
	ag := te.MustAgent(t, key)
	MustOpenHTTP(t, ag, origin, "bodies")
	host := "bodies." + testBase
	// A port nothing listens on: bind, note, close.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	MustOpenHTTP(t, ag, dead, "bodies-dead")
	n := 0

	// readAll reads what the edge sends on c until it closes it (or 10 s).
	readAll := func(t *testing.T, c net.Conn) string {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(c)
		return string(b)
	}

	t.Run("UnreadBodyIsNotParsedAsRequests", func(t *testing.T) {
		// The rest of a body the local service did not read must never be
		// taken for the next request on the connection (request smuggling).
		c, err := net.Dial("tcp", te.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		const declared, first = 1000000, 300000
		io.WriteString(c, "POST /early HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: 1000000\r\n\r\n"+strings.Repeat("a", first))
		br := bufio.NewReader(c)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(br, nil)
		if err != nil || res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("answer %v, %v", res, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		inner := "GET /smuggled HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
		rest := strings.Repeat(inner, (declared-first)/len(inner))
		rest += strings.Repeat("b", declared-first-len(rest))
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		c.Write([]byte(rest)) // may fail once the edge closes: that is the point
		tail := readAll(t, &bufConn{Conn: c, r: br})
		if strings.Contains(tail, "HTTP/1.1") {
			t.Errorf("more answers after the 413: %.200q", tail)
		}
		time.Sleep(200 * time.Millisecond)
		if k := smuggled.Load(); k != 0 {
			t.Fatalf("the local service got %d requests smuggled in a body", k)
		}
		n++
		te.waitCaptured(t, acc, n)
	})
	t.Run("LocalRefusedKeepsTheConnection", func(t *testing.T) {
		// A 502 for a request with a body leaves its connection usable.
		c, err := net.Dial("tcp", te.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for _, req := range []string{
			"POST /hook HTTP/1.1\r\nHost: bodies-dead." + testBase + "\r\nContent-Length: 5\r\n\r\nhello",
			"GET /after HTTP/1.1\r\nHost: bodies-dead." + testBase + "\r\n\r\n",
		} {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, req)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("%.20s: %v", req, err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusBadGateway {
				t.Fatalf("%.20s: %d", req, res.StatusCode)
			}
			n++
		}
		te.waitCaptured(t, acc, n)
	})
	t.Run("MalformedChunkedBodyIs400", func(t *testing.T) {
		c, err := net.Dial("tcp", te.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: "+host+"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZZ\r\n")
		got := readAll(t, c)
		if !strings.HasPrefix(got, "HTTP/1.1 400 ") || !strings.Contains(got, "Bad request body") {
			t.Fatalf("answer %.300q", got)
		}
		n++
		cr := te.waitCaptured(t, acc, n)[0]
		if cr.Status != http.StatusBadRequest || cr.Error != "bad_request_body" || cr.Path != "/upload" {
			t.Fatalf("capture %+v", cr)
		}
	})
}

// bufConn reads first what a bufio.Reader already holds.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// An answer the local service breaks off is captured as local_closed, not
// as the client's abort: the client was there to the end.
func TestServer_AnswerCutByLocalService(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "cut@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10000000")
		w.Write(make([]byte, 1<<20))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection closes mid-answer
	}))
	MustOpenHTTP(t, te.MustAgent(t, key), origin, "cut-short")
	res, err := te.client.Get(te.url("cut-short", "/big"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err == nil || n >= 10000000 {
		t.Fatalf("read %d bytes, err %v: the cut should show", n, err)
	}
	cr := te.waitCaptured(t, acc, 1)[0]
	if cr.Status != http.StatusOK || cr.Error != "local_closed" {
		t.Fatalf("capture %+v", cr)
	}
}

// An answer broken off because the agent's connection died is captured as
// agent_gone, with the status already sent.
func TestServer_AnswerCutByAgent(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "gone@example.com", "pro")
	release := make(chan struct{})
	defer close(release)
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10000000")
		w.Write(make([]byte, 1<<20))
		w.(http.Flusher).Flush()
		select { // the rest never comes before the agent is gone
		case <-release:
		case <-r.Context().Done():
		}
	}))
	cut := mustCutter(t, te.addr)
	ag := te.MustAgent(t, key, func(o *agent.Options) { o.Server = "http://" + cut.ln.Addr().String() })
	MustOpenHTTP(t, ag, origin, "agent-cut")
	res, err := te.client.Get(te.url("agent-cut", "/big"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(res.Body, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	cut.down.Store(true)
	cut.cut()
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err == nil {
		t.Fatal("the answer ended cleanly though the agent was cut off")
	}
	cr := te.waitCaptured(t, acc, 1)[0]
	if cr.Status != http.StatusOK || cr.Error != "agent_gone" {
		t.Fatalf("capture %+v", cr)
	}
}
