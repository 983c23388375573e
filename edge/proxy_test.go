package edge

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServer_Proxy(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "a@example.com", "pro")
	_ = acc
	gate := make(chan struct{})
	payload := make([]byte, 10<<20)
	rand.Read(payload)
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(payload)
		case "/echo":
			w.Header().Set("X-Got-Forwarded-For", r.Header.Get("X-Forwarded-For"))
			w.Header().Set("X-Got-Forwarded-Host", r.Header.Get("X-Forwarded-Host"))
			w.Header().Set("X-Got-Forwarded-Proto", r.Header.Get("X-Forwarded-Proto"))
			io.Copy(w, r.Body)
		case "/sse":
			w.Header().Set("Content-Type", "text/event-stream")
			for i := 0; i < 3; i++ {
				io.WriteString(w, "data: tick\n\n")
				w.(http.Flusher).Flush()
				// Wait for the test to have read this event before sending the next.
				<-gate
			}
		}
	}))
	ag := te.MustAgent(t, key)
	tun := MustOpenHTTP(t, ag, origin, "demo-app")
	if !strings.HasPrefix(tun.URL, "http://demo-app."+testBase) {
		t.Fatalf("url %q", tun.URL)
	}

	t.Run("GET10MiB", func(t *testing.T) {
		res, err := te.client.Get(te.url("demo-app", "/big"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("GET body differs (%d bytes, err %v)", len(got), err)
		}
	})
	t.Run("POST10MiB", func(t *testing.T) {
		res, err := te.client.Post(te.url("demo-app", "/echo"), "application/octet-stream", bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("POST echo differs (%d bytes, err %v)", len(got), err)
		}
	})
	t.Run("XForwardedSetByEdge", func(t *testing.T) {
		req, _ := http.NewRequest("POST", te.url("demo-app", "/echo"), strings.NewReader("x"))
		req.Header.Set("X-Forwarded-For", "6.6.6.6")
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("X-Forwarded-Proto", "gopher")
		res, err := te.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("X-Got-Forwarded-For"); got != "127.0.0.1" {
			t.Errorf("X-Forwarded-For %q", got)
		}
		if got := res.Header.Get("X-Got-Forwarded-Host"); got != "demo-app."+testBase {
			t.Errorf("X-Forwarded-Host %q", got)
		}
		if got := res.Header.Get("X-Got-Forwarded-Proto"); got != "http" {
			t.Errorf("X-Forwarded-Proto %q", got)
		}
	})
	t.Run("SSEOneByOne", func(t *testing.T) {
		res, err := te.client.Get(te.url("demo-app", "/sse"))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		br := bufio.NewReader(res.Body)
		for i := 0; i < 3; i++ {
			done := make(chan string, 1)
			go func() {
				line, _ := br.ReadString('\n')
				br.ReadString('\n')
				done <- line
			}()
			select {
			case line := <-done:
				if line != "data: tick\n" {
					t.Fatalf("event %d: %q", i, line)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("event %d did not arrive before the next was sent", i)
			}
			gate <- struct{}{}
		}
	})
	t.Run("UnknownHost404", func(t *testing.T) {
		res, err := te.client.Get(te.url("nobody-here", "/"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 404 || !strings.Contains(string(body), "<html") {
			t.Fatalf("status %d body %q", res.StatusCode, body)
		}
		req, _ := http.NewRequest("GET", "http://elsewhere.example/", nil)
		req.Header.Set("Accept", "application/json")
		res, err = te.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 404 || !strings.Contains(string(body), `"error":"not_found"`) {
			t.Fatalf("status %d body %q", res.StatusCode, body)
		}
	})
	t.Run("BaseDomainIsAPI", func(t *testing.T) {
		res, err := te.client.Get("http://" + testBase + "/anything")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(body) != "api" {
			t.Fatalf("body %q", body)
		}
	})
}

// TestServer_PartOfAKnownLengthBodyIsNotHeldBack: a local service that
// sends part of a known-length answer and pauses has that part reach the
// client at once, not when more comes (a webhook receiver streaming a
// progress body, a slow download). Before, the part sat in the edge's
// response buffer.
func TestServer_PartOfAKnownLengthBodyIsNotHeldBack(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "part@example.com", "pro")
	release := make(chan struct{})
	defer close(release)
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, strings.Repeat("p", 100))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	ag := te.MustAgent(t, key)
	MustOpenHTTP(t, ag, origin, "part-body")
	res, err := te.client.Get(te.url("part-body", "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(res.Body, make([]byte, 100))
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the 100 bytes the local service sent never reached the client")
	}
}
