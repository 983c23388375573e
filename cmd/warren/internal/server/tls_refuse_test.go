package server

import (
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestHTTPS_BadHandshakesAreRefusedQuietly: handshakes the internet sends
// all day end in a clean refusal, bounded in time, logged below warning.
func TestHTTPS_BadHandshakesAreRefusedQuietly(t *testing.T) {
	tm := mustTLSMain(t, "warren.test", func(c *Config) { c.TLS.HandshakeTimeout = time.Second })
	dial := func(cfg *tls.Config) error {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", tm.Addr(), cfg)
		if err == nil {
			c.Close()
		}
		return err
	}

	t.Run("ErrSNINotOurs", func(t *testing.T) {
		err := dial(&tls.Config{ServerName: "example.com", InsecureSkipVerify: true})
		if err == nil || !strings.Contains(err.Error(), "unrecognized name") {
			t.Errorf("handshake naming example.com: %v, want an unrecognized_name alert", err)
		}
	})
	t.Run("ErrNoSNI", func(t *testing.T) {
		// Go sends no SNI for an IP address.
		err := dial(&tls.Config{ServerName: "127.0.0.1", InsecureSkipVerify: true})
		if err == nil || !strings.Contains(err.Error(), "unrecognized name") {
			t.Errorf("handshake without SNI: %v, want an unrecognized_name alert", err)
		}
	})
	t.Run("OurNameStillServed", func(t *testing.T) {
		if err := dial(tm.ca.clientTLS("demo.warren.test")); err != nil {
			t.Errorf("handshake for demo.warren.test: %v", err)
		}
	})
	t.Run("ClientLeavesMidHandshake", func(t *testing.T) {
		c, err := net.DialTimeout("tcp", tm.Addr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// A record header announcing a 512-byte ClientHello, and 4 bytes of it.
		c.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc})
		c.Close()
	})
	t.Run("ClientStallsMidHandshake", func(t *testing.T) {
		c, err := net.DialTimeout("tcp", tm.Addr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc})
		start := time.Now()
		_ = c.SetReadDeadline(start.Add(5 * time.Second))
		_, err = io.Copy(io.Discard, c)
		if err != nil {
			t.Fatalf("the server kept a stalled handshake open for %v (HandshakeTimeout 1 s): %v", time.Since(start), err)
		}
	})
	tm.Close()
	logs := tm.logs.String()
	for _, level := range []string{"level=ERROR", "level=WARN"} {
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, level) {
				t.Errorf("logged at %s: %s", level, line)
			}
		}
	}
	if !strings.Contains(logs, "TLS handshake error") || !strings.Contains(logs, "server_name=example.com") {
		t.Errorf("the refusals were not logged at debug:\n%s", logs)
	}
}
