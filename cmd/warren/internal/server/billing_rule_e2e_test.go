package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

// TestServedTrafficIsBilledOnTheWire: GETs with 62-byte answers were billed
// 62 bytes out and 0 in each, though every request and answer crossed the
// wire with its head. A new server counts the wire from its first month:
// /v1/usage shows heads and bodies, and bodies alone beside.
func TestServedTrafficIsBilledOnTheWire(t *testing.T) {
	answer := strings.Repeat("x", 62)
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(answer)) }))
	defer local.Close()
	s := warrentest.StartServer(t, t.TempDir())
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	a := warrentest.StartAgent(t, s, key, "http", strings.TrimPrefix(local.URL, "http://"), "--subdomain", "wire-e2e")
	a.Wait(t, "Forwarding")
	const n = 3
	for range n {
		if st, body := warrentest.PublicGet(t, s, "wire-e2e.localhost", "/x"); st != 200 || body != answer {
			t.Fatalf("public GET: %d %q", st, body)
		}
	}
	var u struct {
		Used      struct{ BandwidthBytes int64 }
		Bandwidth struct {
			Rule                                         string
			BytesIn, BytesOut, BodyBytesIn, BodyBytesOut int64
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for u.Bandwidth.BodyBytesOut != n*62 {
		if time.Now().After(deadline) {
			t.Fatalf("usage never counted the %d answers: %+v", n, u)
		}
		time.Sleep(50 * time.Millisecond)
		req, _ := http.NewRequest("GET", s.URL+"/v1/usage", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(res.Body).Decode(&u)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	// At least "GET /x HTTP/1.1\r\nHost: wire-e2e.localhost\r\n\r\n" and
	// "HTTP/1.1 200 OK\r\n\r\n" each.
	minIn, minOut := int64(len("GET /x HTTP/1.1\r\nHost: wire-e2e.localhost\r\n\r\n")), int64(len("HTTP/1.1 200 OK\r\n\r\n"))
	b := u.Bandwidth
	if b.Rule != "wire" || b.BodyBytesIn != 0 || b.BytesIn < n*minIn || b.BytesOut < n*(62+minOut) || u.Used.BandwidthBytes != b.BytesIn+b.BytesOut {
		t.Fatalf("usage %+v", u)
	}
}
