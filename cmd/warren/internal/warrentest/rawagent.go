package warrentest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"warren/edge/wire"
)

// RawAgent is an agent session driven by a test, byte by byte: it speaks
// the protocol but behaves as a test tells it (stops reading, opens
// streams the server never asked for), to check the server's defences.
type RawAgent struct {
	Mux     *yamux.Session
	Control net.Conn
}

// DialRawAgent upgrades a connection to addr with key and opens the
// control stream; the test owns both and closes them with Close.
func DialRawAgent(t testing.TB, addr, key string) *RawAgent {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n",
		wire.ConnectPath, key, wire.Upgrade)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		conn.Close()
		t.Fatalf("agent connect: %s %s", res.Status, b)
	}
	_ = conn.SetDeadline(time.Time{})
	var c net.Conn = conn
	if br.Buffered() > 0 {
		c = &wire.BufferedConn{Conn: conn, R: br}
	}
	// The smallest window yamux allows: what the server may send unread is
	// 256 KiB, so a test can fill it quickly.
	cfg := wire.MuxConfig()
	cfg.MaxStreamWindowSize = 256 << 10
	mux, err := yamux.Client(c, cfg)
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	ctl, err := mux.OpenStream()
	if err != nil {
		mux.Close()
		t.Fatal(err)
	}
	a := &RawAgent{Mux: mux, Control: ctl}
	t.Cleanup(a.Close)
	return a
}

// Send writes one control message, as the real agent would.
func (a *RawAgent) Send(t testing.TB, m wire.Msg) {
	t.Helper()
	m.V = wire.Version
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Control.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
}

// ReadUntil reads control messages until one of type typ arrives (5 s).
func (a *RawAgent) ReadUntil(t testing.TB, typ string) wire.Msg {
	t.Helper()
	_ = a.Control.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer a.Control.SetReadDeadline(time.Time{})
	br := bufio.NewReader(a.Control)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			t.Fatalf("waiting for a %q control message: %v", typ, err)
		}
		var m wire.Msg
		if err := json.Unmarshal(bytes.TrimSpace(line), &m); err != nil {
			t.Fatalf("bad control message %q: %v", line, err)
		}
		if m.Type == typ {
			if br.Buffered() > 0 {
				t.Fatalf("control messages after %q were read ahead and lost", typ)
			}
			return m
		}
	}
}

// Close ends the session.
func (a *RawAgent) Close() { a.Mux.Close() }
