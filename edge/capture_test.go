package edge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/domain"
)

func TestServer_Capture(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "cap@example.com", "free") // 1 MiB capture limit
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/slow" {
			time.Sleep(300 * time.Millisecond)
		}
		w.Header().Set("X-Origin", "yes")
		w.WriteHeader(http.StatusAccepted)
		w.Write(append([]byte("got:"), body...))
	}))
	ag := te.MustAgent(t, key)
	MustOpenHTTP(t, ag, origin, "hooks-cap")
	n := 0

	t.Run("Fields", func(t *testing.T) {
		req, _ := http.NewRequest("POST", te.url("hooks-cap", "/webhook?source=stripe&x=1"), strings.NewReader(`{"type":"charge"}`))
		req.Header.Set("Stripe-Signature", "t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd")
		req.Header.Set("User-Agent", "Stripe/1.0")
		res, err := te.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		n++
		got := te.waitCaptured(t, acc, n)[0]
		cr := te.request(t, acc, got.ID)
		if cr.Method != "POST" || cr.Path != "/webhook?source=stripe&x=1" || cr.Status != 202 || cr.Kind != domain.KindHTTP {
			t.Fatalf("capture %+v", cr)
		}
		if cr.Tunnel != "hooks-cap" || cr.Host != "hooks-cap."+testBase || cr.IP != "127.0.0.1" || cr.UserAgent != "Stripe/1.0" || cr.Proto != "HTTP/1.1" {
			t.Fatalf("capture %+v", cr)
		}
		if sig := http.Header(cr.ReqHeaders).Get("Stripe-Signature"); sig != req.Header.Get("Stripe-Signature") {
			t.Fatalf("Stripe-Signature %q", sig)
		}
		if http.Header(cr.RespHeaders).Get("X-Origin") != "yes" {
			t.Fatalf("response headers %v", cr.RespHeaders)
		}
		if cr.BytesIn != 17 || cr.BytesOut != 21 || cr.ReqBody.Size != 17 || cr.ReqBody.Truncated || cr.DurationMs <= 0 || cr.TTFBMs <= 0 {
			t.Fatalf("sizes/timings %+v", cr)
		}
		id := ulid.MustParse(cr.ID)
		reqBody, ok, err := te.log.Body(id, 0)
		if err != nil || !ok || string(reqBody) != `{"type":"charge"}` {
			t.Fatalf("request body %q %v %v", reqBody, ok, err)
		}
		respBody, ok, err := te.log.Body(id, 1)
		if err != nil || !ok || string(respBody) != `got:{"type":"charge"}` {
			t.Fatalf("response body %q %v %v", respBody, ok, err)
		}
		sum := sha256.Sum256(reqBody)
		if cr.ReqBody.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("sha256 %s", cr.ReqBody.SHA256)
		}
	})
	t.Run("CreatedAtIsArrival", func(t *testing.T) {
		// The time of a capture is when the request arrived, not when
		// its event was committed (after the answer, in a batch).
		t0 := time.Now()
		res, err := te.client.Get(te.url("hooks-cap", "/slow"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		t1 := time.Now()
		n++
		cr := te.waitCaptured(t, acc, n)[0]
		if cr.Path != "/slow" || cr.CreatedAt.Before(t0.Add(-time.Millisecond)) || cr.CreatedAt.After(t1.Add(-250*time.Millisecond)) {
			t.Fatalf("%s created at %v; the request ran from %v to %v", cr.Path, cr.CreatedAt, t0, t1)
		}
	})
	t.Run("TruncatedAtPlanLimit", func(t *testing.T) {
		big := bytes.Repeat([]byte("0123456789abcdef"), (3<<20)/16) // 3 MiB > free's 1 MiB
		res, err := te.client.Post(te.url("hooks-cap", "/big"), "application/octet-stream", bytes.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		n++
		got := te.waitCaptured(t, acc, n)[0]
		cr := te.request(t, acc, got.ID)
		if !cr.ReqBody.Truncated || cr.ReqBody.Size != 3<<20 || cr.ReqBody.Stored != 1<<20 {
			t.Fatalf("request body info %+v", cr.ReqBody)
		}
		if !cr.RespBody.Truncated || cr.RespBody.Size != 3<<20+4 || cr.RespBody.Stored != 1<<20 {
			t.Fatalf("response body info %+v", cr.RespBody)
		}
		stored, ok, _ := te.log.Body(ulid.MustParse(cr.ID), 0)
		if !ok || !bytes.Equal(stored, big[:1<<20]) {
			t.Fatalf("stored request body %d bytes", len(stored))
		}
	})
	t.Run("ClientAbortCapturedOnce", func(t *testing.T) {
		c, err := net.Dial("tcp", te.addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: hooks-cap."+testBase+"\r\nContent-Length: 100000\r\n\r\n")
		c.Write(bytes.Repeat([]byte("x"), 5000))
		time.Sleep(100 * time.Millisecond) // let the proxy start forwarding
		c.Close()
		n++
		got := te.waitCaptured(t, acc, n)
		cr := got[0]
		if cr.Path != "/upload" || cr.Error != "client_abort" {
			t.Fatalf("abort capture %+v", cr)
		}
		time.Sleep(300 * time.Millisecond)
		te.waitCaptured(t, acc, n) // still exactly n: no second event
	})
}
