package server

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"warren/domain"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// serveTLSOnce serves cfg on a loopback listener and returns its address;
// each accepted connection is handshaken and closed.
func serveTLSOnce(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// handshakeSerial dials addr naming sni and returns the serial of the leaf
// it was shown.
func handshakeSerial(t *testing.T, ca *testCA, addr, sni string) (int64, error) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, ca.clientTLS(sni))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
}

func TestFilesSource_Reload(t *testing.T) {
	ca := mustTestCA(t)
	dir := t.TempDir()
	certFile, keyFile := ca.writePair(t, dir, 10, "warren.test", "*.warren.test")
	clock := &fakeClock{t: time.Now()}
	var logs bytes.Buffer
	src, err := newFilesSource(certFile, keyFile, time.Second, clock.Now, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	addr := serveTLSOnce(t, src.TLSConfig())

	t.Run("OK", func(t *testing.T) {
		for _, sni := range []string{"warren.test", "demo.warren.test"} {
			if serial, err := handshakeSerial(t, ca, addr, sni); err != nil || serial != 10 {
				t.Errorf("handshake for %s: serial %d, %v; want 10", sni, serial, err)
			}
		}
	})

	t.Run("NewFilesServedAtTheNextHandshake", func(t *testing.T) {
		ca.writePair(t, dir, 11, "warren.test", "*.warren.test")
		clock.Add(2 * time.Second)
		if serial, err := handshakeSerial(t, ca, addr, "demo.warren.test"); err != nil || serial != 11 {
			t.Errorf("after replacing the files: serial %d, %v; want 11", serial, err)
		}
	})

	t.Run("BrokenPairKeepsTheOldOne", func(t *testing.T) {
		// A key that belongs to another certificate: the pair does not load.
		_, otherKey := ca.issue(t, 99, "warren.test")
		mustReplace(t, keyFile, otherKey)
		clock.Add(2 * time.Second)
		if serial, err := handshakeSerial(t, ca, addr, "warren.test"); err != nil || serial != 11 {
			t.Errorf("after a broken pair: serial %d, %v; want the old 11", serial, err)
		}
		if n := strings.Count(logs.String(), "do not load"); n != 1 {
			t.Errorf("%d warnings for the broken pair, want 1:\n%s", n, logs.String())
		}
		clock.Add(2 * time.Second)
		handshakeSerial(t, ca, addr, "warren.test")
		if n := strings.Count(logs.String(), "do not load"); n != 1 {
			t.Errorf("the same broken files warned again (%d):\n%s", n, logs.String())
		}
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("logged at ERROR:\n%s", logs.String())
		}
		// The operator fixes it.
		ca.writePair(t, dir, 12, "warren.test", "*.warren.test")
		clock.Add(2 * time.Second)
		if serial, err := handshakeSerial(t, ca, addr, "warren.test"); err != nil || serial != 12 {
			t.Errorf("after fixing the pair: serial %d, %v; want 12", serial, err)
		}
	})

	t.Run("ConcurrentHandshakesDuringAReload", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			if i == 20 {
				ca.writePair(t, dir, 13, "warren.test", "*.warren.test")
				clock.Add(2 * time.Second)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if serial, err := handshakeSerial(t, ca, addr, "a.warren.test"); err != nil || serial != 12 && serial != 13 {
					errs <- fmt.Errorf("serial %d, %v", serial, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if serial, err := handshakeSerial(t, ca, addr, "a.warren.test"); err != nil || serial != 13 {
			t.Errorf("after the reload: serial %d, %v; want 13", serial, err)
		}
	})

	t.Run("ErrNotOurName", func(t *testing.T) {
		if _, err := handshakeSerial(t, ca, addr, "example.com"); err == nil {
			t.Error("a handshake for a name the certificate does not cover succeeded")
		}
	})
}

func TestFilesSource_BadPairAtStart(t *testing.T) {
	ca := mustTestCA(t)
	dir := t.TempDir()
	certFile, keyFile := ca.writePair(t, dir, 1, "warren.test")
	_, otherKey := ca.issue(t, 2, "warren.test")
	mismatched := filepath.Join(dir, "other.pem")
	if err := os.WriteFile(mismatched, otherKey, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, files := range map[string][2]string{
		"ErrMismatchedKey": {certFile, mismatched},
		"ErrMissingCert":   {filepath.Join(dir, "nope.pem"), keyFile},
		"ErrOnlyOne":       {certFile, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newFilesSource(files[0], files[1], 0, nil, nil)
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.CodeInvalid {
				t.Fatalf("err = %v, want a CodeInvalid error", err)
			}
			if !strings.Contains(err.Error(), "--tls-") {
				t.Errorf("the error does not name the flag: %v", err)
			}
		})
	}
}
