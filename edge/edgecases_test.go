package edge

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServer_EdgeCases(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "edge@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/endless":
			buf := bytes.Repeat([]byte("z"), 64<<10)
			for {
				if _, err := w.Write(buf); err != nil {
					return
				}
			}
		case "/head":
			w.Header().Set("Content-Length", "1234")
		default:
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %d %s", r.Method, len(b), r.Header.Get("Transfer-Encoding"))
		}
	}))
	MustOpenHTTP(t, te.MustAgent(t, key), origin, "edge-cases")
	n := 0

	t.Run("ChunkedUpload", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			for i := 0; i < 10; i++ {
				pw.Write(bytes.Repeat([]byte("c"), 1000))
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", te.url("edge-cases", "/up"), pr)
		res, err := te.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(b) != "POST 10000 " {
			t.Fatalf("%q", b)
		}
		n++
		if cr := te.waitCaptured(t, acc, n)[0]; cr.BytesIn != 10000 || cr.ReqBody.Size != 10000 {
			t.Fatalf("capture %+v", cr)
		}
	})
	t.Run("Expect100Continue", func(t *testing.T) {
		c, err := net.Dial("tcp", te.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "POST /exp HTTP/1.1\r\nHost: edge-cases.%s\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", testBase)
		br := bufio.NewReader(c)
		line, _ := br.ReadString('\n')
		if !strings.Contains(line, "100") {
			t.Fatalf("first line %q", line)
		}
		br.ReadString('\n')
		io.WriteString(c, "hello")
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || string(b) != "POST 5 " {
			t.Fatalf("%d %q", res.StatusCode, b)
		}
		n++
		te.waitCaptured(t, acc, n)
	})
	t.Run("HEAD", func(t *testing.T) {
		res, err := te.client.Head(te.url("edge-cases", "/head"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.ContentLength != 1234 {
			t.Fatalf("%d %d", res.StatusCode, res.ContentLength)
		}
		n++
		te.waitCaptured(t, acc, n)
	})
	t.Run("ClientAbortMidResponseCapturedOnce", func(t *testing.T) {
		c, err := net.Dial("tcp", te.addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /endless HTTP/1.1\r\nHost: edge-cases.%s\r\n\r\n", testBase)
		buf := make([]byte, 256<<10)
		io.ReadFull(c, buf)
		c.Close()
		n++
		cr := te.waitCaptured(t, acc, n)[0]
		if cr.Path != "/endless" || cr.Error != "client_abort" || cr.Status != 200 || cr.BytesOut < 200<<10 {
			t.Fatalf("capture %+v", cr)
		}
		time.Sleep(300 * time.Millisecond)
		te.waitCaptured(t, acc, n)
	})
}
