package edge

import (
	"bytes"
	"context"
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
	"warren/projections"
)

func TestServer_Capture(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "cap@example.com", "free") // 1 MiB capture limit
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
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

func TestServer_Replay(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "replay@example.com", "pro")
	_, keyB := te.MustAccount(t, "other@example.com", "pro")
	type seen struct {
		method, path, sig, ct string
		body                  string
	}
	got := make(chan seen, 10)
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.RequestURI(), r.Header.Get("Stripe-Signature"), r.Header.Get("Content-Type"), string(b)}
		w.WriteHeader(201)
		io.WriteString(w, "ok")
	}))
	ag := te.MustAgent(t, key)
	MustOpenHTTP(t, ag, origin, "replay-me")
	req, _ := http.NewRequest("POST", te.url("replay-me", "/hook?a=1"), strings.NewReader(`{"id":"evt_1"}`))
	req.Header.Set("Stripe-Signature", "t=1,v1=abc")
	req.Header.Set("Content-Type", "application/json")
	res, err := te.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	first := <-got
	orig := te.waitCaptured(t, acc, 1)[0]
	id := ulid.MustParse(orig.ID)

	t.Run("Identical", func(t *testing.T) {
		cr, err := te.srv.Replay(context.Background(), acc, "replay-me", id, Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		again := <-got
		if again != first {
			t.Fatalf("replay reached origin as %+v, want %+v", again, first)
		}
		if cr.ReplayOf != "req_"+orig.ID || cr.Status != 201 || cr.ID == "" {
			t.Fatalf("replay capture %+v", cr)
		}
	})
	t.Run("Overrides", func(t *testing.T) {
		m, p, b := "PUT", "/other?b=2", "new body"
		_, err := te.srv.Replay(context.Background(), acc, "replay-me", id, Overrides{Method: &m, Path: &p, Body: &b,
			Headers: map[string]string{"Stripe-Signature": "t=2,v1=def"}})
		if err != nil {
			t.Fatal(err)
		}
		again := <-got
		want := seen{"PUT", "/other?b=2", "t=2,v1=def", "application/json", "new body"}
		if again != want {
			t.Fatalf("override replay reached origin as %+v", again)
		}
	})
	t.Run("HTTPRoute", func(t *testing.T) {
		req, _ := http.NewRequest("POST", "http://"+testBase+"/api/v1/me/tunnels/replay-me/requests/req_"+orig.ID+"/replay", strings.NewReader(`{"path":"/via-api"}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := te.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 201 || !strings.Contains(string(body), `"replayOf":"req_`+orig.ID) {
			t.Fatalf("status %d body %s", res.StatusCode, body)
		}
		if s := <-got; s.path != "/via-api" {
			t.Fatalf("origin saw %+v", s)
		}
	})
	t.Run("ContentTypes", func(t *testing.T) {
		// curl -d '{…}' sends the form type: a body that parses as JSON is JSON.
		for _, tc := range []struct {
			ct, body string
			want     int
		}{
			{"application/x-www-form-urlencoded", `{"path":"/via-curl"}`, 201},
			{"", `{"path":"/via-curl"}`, 201},
			{"application/x-www-form-urlencoded", `path=/x`, 415},
			{"text/plain", `{"path":"/x"}`, 415},
		} {
			req, _ := http.NewRequest("POST", "http://"+testBase+"/api/v1/me/tunnels/replay-me/requests/req_"+orig.ID+"/replay", strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+key)
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			res, err := te.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Fatalf("%q %s: status %d body %s, want %d", tc.ct, tc.body, res.StatusCode, body, tc.want)
			}
			if tc.want == 201 {
				if s := <-got; s.path != "/via-curl" {
					t.Fatalf("origin saw %+v", s)
				}
			}
		}
	})
	t.Run("ErrOtherAccount404", func(t *testing.T) {
		req, _ := http.NewRequest("POST", "http://"+testBase+"/api/v1/me/tunnels/replay-me/requests/req_"+orig.ID+"/replay", nil)
		req.Header.Set("Authorization", "Bearer "+keyB)
		res, err := te.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 404 || !strings.Contains(string(body), `"error":"not_found"`) {
			t.Fatalf("status %d body %s", res.StatusCode, body)
		}
	})
	t.Run("ErrPrunedBody410", func(t *testing.T) {
		// Pro keeps bodies 90 days: sweep as if 91 days had passed.
		if _, err := projections.SweepBodies(context.Background(), te.log, time.Now().Add(91*24*time.Hour), 100, 0); err != nil {
			t.Fatal(err)
		}
		_, err := te.srv.Replay(context.Background(), acc, "replay-me", id, Overrides{})
		if domain.ErrorCode(err) != domain.CodeGone || !strings.Contains(err.Error(), "pruned by retention") {
			t.Fatalf("err %v", err)
		}
		b := "explicit"
		if _, err := te.srv.Replay(context.Background(), acc, "replay-me", id, Overrides{Body: &b}); err != nil {
			t.Fatalf("with a body override: %v", err)
		}
		if s := <-got; s.body != "explicit" {
			t.Fatalf("origin saw %+v", s)
		}
	})
	t.Run("ErrOffline409", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ag.Close(ctx)
		eventually(t, 5*time.Second, "tunnel closed", func() bool { return te.srv.tunnelFor(acc, "replay-me") == nil })
		_, err := te.srv.Replay(context.Background(), acc, "replay-me", id, Overrides{})
		if domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("err %v", err)
		}
	})
}
