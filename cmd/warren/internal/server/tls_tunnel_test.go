package server

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
	"warren/projections"
)

// startTLSAgent runs the real `warren http LOCAL --subdomain SUB` against
// tm's https URL. It trusts the test CA through SSL_CERT_FILE, as an
// operator's machine trusts a public CA through its system roots, so the
// agent's own TLS dial (no ALPN: HTTP/1.1 for its Upgrade) is what runs.
func startTLSAgent(t testing.TB, tm *tlsMain, local, sub string) *tlsAgent {
	t.Helper()
	cmd := exec.Command(warrentest.Bin(), "http", local, "--subdomain", sub)
	cmd.Env = warrentest.ChildEnv("WARREN_SERVER="+tm.URL(), "WARREN_API_KEY="+tm.key, "HOME="+t.TempDir(),
		"SSL_CERT_FILE="+tm.ca.File, "SSL_CERT_DIR="+t.TempDir())
	a := &tlsAgent{out: new(warrentest.LockedBuffer), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = a.out, a.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-a.done
	})
	return a
}

// tlsAgent is a `warren http` child process.
type tlsAgent struct {
	out  *warrentest.LockedBuffer
	done chan struct{}
}

// wait waits until the agent printed substr (15 s at most).
func (a *tlsAgent) wait(t testing.TB, substr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(a.out.String(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("agent output never held %q; it is:\n%s", substr, a.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHTTPS_TunnelOverHTTP2(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sse":
			w.Header().Set("Content-Type", "text/event-stream")
			for i := range 3 {
				fmt.Fprintf(w, "data: tick %d\n\n", i)
				w.(http.Flusher).Flush()
			}
		case "/ws":
			// A WebSocket-style upgrade: 101, then an echo of the bytes.
			if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
				http.Error(w, "no upgrade", http.StatusBadRequest)
				return
			}
			c, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			line, _ := brw.ReadString('\n')
			io.WriteString(c, "echo "+line)
		case "/grpc":
			// gRPC's shape: the status travels in trailers.
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/grpc")
			w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
			w.Write([]byte{0, 0, 0, 0, 2, 8, 1})
			w.Header().Set("Grpc-Status", "0")
			w.Header().Set("Grpc-Message", "ok")
		default:
			fmt.Fprintf(w, "proto=%s xfp=%s", r.Proto, r.Header.Get("X-Forwarded-Proto"))
		}
	}))
	defer origin.Close()

	tm := mustTLSMain(t, "localhost", nil)
	a := startTLSAgent(t, tm, strings.TrimPrefix(origin.URL, "http://"), "demo")
	a.wait(t, "Forwarding https://demo.localhost:"+portOf(tm.Addr()))
	h2 := tm.client(t, true)

	t.Run("CapturedAsHTTP2", func(t *testing.T) {
		res, err := h2.Get("https://demo.localhost/hello?x=1")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Proto != "HTTP/2.0" || string(b) != "proto=HTTP/1.1 xfp=https" {
			t.Fatalf("over %s: %q", res.Proto, b)
		}
		cr := waitTLSCapture(t, tm, "/hello?x=1")
		if cr.Proto != "HTTP/2.0" || cr.Status != http.StatusOK {
			t.Errorf("captured proto %q status %d, want HTTP/2.0 200", cr.Proto, cr.Status)
		}
	})

	t.Run("PublicURLSaysHTTPS", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "https://localhost/api/v1/me/tunnels", nil)
		req.Header.Set("Authorization", "Bearer "+tm.key)
		res, err := h2.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if want := `"https://demo.localhost:` + portOf(tm.Addr()) + `"`; !strings.Contains(string(b), want) {
			t.Errorf("GET /api/v1/me/tunnels lacks %s: %s", want, b)
		}
	})

	t.Run("SSE", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "https://demo.localhost/sse", nil)
		req.Header.Set("Accept", "text/event-stream")
		res, err := h2.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		br := bufio.NewReader(res.Body)
		for i := range 3 {
			line, err := br.ReadString('\n')
			if want := fmt.Sprintf("data: tick %d\n", i); err != nil || line != want {
				t.Fatalf("event %d: %q, %v; want %q", i, line, err, want)
			}
			br.ReadString('\n')
		}
	})

	t.Run("WebSocketOverHTTP1", func(t *testing.T) {
		// Over TLS with ALPN http/1.1: RFC 8441 (WebSocket over h2) is not
		// served, so browsers open WebSockets on HTTP/1.1 connections.
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", tm.Addr(), tm.ca.clientTLS("demo.localhost", "http/1.1"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: demo.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
		br := bufio.NewReader(c)
		res, err := http.ReadResponse(br, nil)
		if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade: %v %v", res, err)
		}
		io.WriteString(c, "ping\n")
		if line, err := br.ReadString('\n'); err != nil || line != "echo ping\n" {
			t.Errorf("through the upgraded connection: %q, %v", line, err)
		}
	})

	t.Run("GRPCTrailersOverHTTP2", func(t *testing.T) {
		req, _ := http.NewRequest("POST", "https://demo.localhost/grpc", strings.NewReader("\x00\x00\x00\x00\x00"))
		req.Header.Set("Content-Type", "application/grpc")
		req.Header.Set("TE", "trailers")
		res, err := h2.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Proto != "HTTP/2.0" || len(b) != 7 {
			t.Fatalf("over %s: % x", res.Proto, b)
		}
		if res.Trailer.Get("Grpc-Status") != "0" || res.Trailer.Get("Grpc-Message") != "ok" {
			t.Errorf("trailers %v, want Grpc-Status 0 and Grpc-Message ok", res.Trailer)
		}
	})
}

// waitTLSCapture waits for the capture of path on tm's operator account.
func waitTLSCapture(t *testing.T, tm *tlsMain, path string) domain.CapturedRequest {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := projections.View(tm.Log.DB(), func(tx *bolt.Tx) ([]domain.CapturedRequest, error) {
			k, err := projections.KeyByHash(tx, domain.HashKeySecret(tm.key))
			if err != nil {
				return nil, err
			}
			return projections.Requests(tx, k.AccountID, "", ulid.ULID{}, 100)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, cr := range got {
			if cr.Path == path {
				return cr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no capture of %s within 10 s", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
