package edge

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
)

// wsAccept computes Sec-WebSocket-Accept (RFC 6455 §4.2.2).
func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsWrite writes one final text frame, masked when mask is set (client side).
func wsWrite(w io.Writer, payload []byte, mask bool) error {
	hdr := []byte{0x81}
	m := byte(0)
	if mask {
		m = 0x80
	}
	switch {
	case len(payload) < 126:
		hdr = append(hdr, m|byte(len(payload)))
	default:
		hdr = append(hdr, m|126)
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(len(payload)))
	}
	p := append([]byte(nil), payload...)
	if mask {
		key := []byte{1, 2, 3, 4}
		hdr = append(hdr, key...)
		for i := range p {
			p[i] ^= key[i%4]
		}
	}
	_, err := w.Write(append(hdr, p...))
	return err
}

// wsRead reads one frame (lengths < 64 KiB) and unmasks it.
func wsRead(r io.Reader) ([]byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, err
		}
		n = int(binary.BigEndian.Uint16(l[:]))
	}
	var key [4]byte
	masked := h[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return nil, err
		}
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, err
	}
	if masked {
		for i := range p {
			p[i] ^= key[i%4]
		}
	}
	return p, nil
}

// wsEchoOrigin upgrades and echoes frames until the client closes.
func wsEchoOrigin(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "websocket only", 400)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", wsAccept(r.Header.Get("Sec-WebSocket-Key")))
	brw.Flush()
	for {
		p, err := wsRead(brw)
		if err != nil {
			return
		}
		if err := wsWrite(conn, p, false); err != nil {
			return
		}
	}
}

func TestServer_WebSocket(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "ws@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(wsEchoOrigin))
	MustOpenHTTP(t, te.MustAgent(t, key), origin, "ws-echo")

	c, err := net.Dial("tcp", te.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	wsKey := "dGhlIHNhbXBsZSBub25jZQ=="
	fmt.Fprintf(c, "GET /chat HTTP/1.1\r\nHost: ws-echo.%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", testBase, wsKey)
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 101 || res.Header.Get("Sec-WebSocket-Accept") != wsAccept(wsKey) {
		t.Fatalf("handshake %d %v", res.StatusCode, res.Header)
	}
	for i, msg := range []string{"hello", strings.Repeat("x", 1000), "bye"} {
		if err := wsWrite(c, []byte(msg), true); err != nil {
			t.Fatal(err)
		}
		got, err := wsRead(br)
		if err != nil || string(got) != msg {
			t.Fatalf("message %d: %q %v", i, got, err)
		}
	}
	c.Close()
	cr := te.waitCaptured(t, acc, 1)[0]
	if cr.Kind != domain.KindWebSocket || cr.Status != 101 || cr.Path != "/chat" || cr.BytesIn < 1008 || cr.BytesOut < 1008 {
		t.Fatalf("websocket capture %+v", cr)
	}
}

func TestServer_TCP(t *testing.T) {
	te := MustEdge(t, func(c *Config) { c.TCPPorts = [2]int{42100, 42199} })
	acc, key := te.MustAccount(t, "tcp@example.com", "pro")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	ag := te.MustAgent(t, key)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tun, err := ag.OpenTCP(ctx, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if tun.Port < 42100 || tun.Port > 42199 || !strings.HasPrefix(tun.URL, "tcp://") {
		t.Fatalf("tunnel %+v", tun)
	}

	t.Run("Echo", func(t *testing.T) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tun.Port))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		msg := strings.Repeat("ping ", 20000)
		go io.WriteString(c, msg)
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
			t.Fatalf("echo %d bytes, %v", len(got), err)
		}
		c.Close()
		cr := te.waitCaptured(t, acc, 1)[0]
		if cr.Kind != domain.KindTCP || cr.BytesIn != int64(len(msg)) || cr.BytesOut != int64(len(msg)) || cr.Tunnel != fmt.Sprintf("tcp-%d", tun.Port) {
			t.Fatalf("tcp capture %+v", cr)
		}
	})
	t.Run("ReleaseFreesPort", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ag.Close(ctx)
		eventually(t, 5*time.Second, "port released", func() bool {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", tun.Port))
			if err == nil {
				l.Close()
			}
			return err == nil
		})
	})
}

func TestServer_Load(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "load@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, r.URL.Path)
	}))
	MustOpenHTTP(t, te.MustAgent(t, key), origin, "busy-app")

	t.Run("200Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true,
					DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
						return (&net.Dialer{}).DialContext(ctx, "tcp", te.addr)
					}}, Timeout: 30 * time.Second}
				path := fmt.Sprintf("/c/%d", i)
				res, err := c.Get(te.url("busy-app", path))
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || string(body) != path {
					errs <- fmt.Errorf("%s: %d %q", path, res.StatusCode, body)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
	t.Run("SlowlorisDoesNotBlock", func(t *testing.T) {
		slow, err := net.Dial("tcp", te.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer slow.Close()
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			hdr := "GET / HTTP/1.1\r\nHost: busy-app." + testBase + "\r\nX-Slow: " + strings.Repeat("a", 1000)
			for i := 0; i < len(hdr); i++ {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := slow.Write([]byte{hdr[i]}); err != nil {
					return
				}
			}
		}()
		time.Sleep(200 * time.Millisecond)
		for i := 0; i < 20; i++ {
			res, err := te.client.Get(te.url("busy-app", "/fast"))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}

func TestServer_BandwidthQuota(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "quota@example.com", "free")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	MustOpenHTTP(t, te.MustAgent(t, key), origin, "over-quota")
	// A month's worth of traffic, recorded as one earlier exchange.
	if _, err := te.log.Append(context.Background(), events.Draft{Type: events.RequestCaptured, Account: acc,
		Data: domain.CapturedRequest{Tunnel: "over-quota", Kind: domain.KindHTTP, Method: "GET", Path: "/", Status: 200, BytesOut: 50 << 30}}); err != nil {
		t.Fatal(err)
	}
	res, err := te.client.Get(te.url("over-quota", "/refused"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 429 || !strings.Contains(string(body), "free plan") || !strings.Contains(string(body), "bandwidth") {
		t.Fatalf("status %d body %s", res.StatusCode, body)
	}
	cr := te.waitCaptured(t, acc, 2)[0]
	if cr.Status != 429 || cr.Error != "quota" || cr.Path != "/refused" {
		t.Fatalf("quota capture %+v", cr)
	}
}
