package agent

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"warren/domain"
)

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "localhost.": true, "app.localhost": true, "a.b.localhost": true,
		"127.0.0.1": true, "127.1.2.3": true, "127.255.255.254": true, "::1": true, "::ffff:127.0.0.1": true,
		"0:0:0:0:0:0:0:1": true,
		"":                false, "example.com": false, "localhost.example.com": false, "notlocalhost": false, "mylocalhost": false,
		"10.0.0.1": false, "192.0.2.1": false, "0.0.0.0": false, "::": false, "128.0.0.1": false,
		"::2": false, "fe80::1": false, "::ffff:10.0.0.1": false, "fe80::1%lo": false, "127.0.0.1.nip.io": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestCheckServer(t *testing.T) {
	for _, c := range []struct {
		server   string
		insecure bool
		ok       bool
	}{
		{"https://warren.example.com", false, true},
		{"https://192.0.2.1:8443", false, true},
		{"http://localhost:8080", false, true},
		{"http://127.0.0.1:8080", false, true},
		{"http://[::1]:8080", false, true},
		{"http://api.localhost", false, true},
		{"http://warren.example.com", false, false},
		{"http://192.0.2.1:1", false, false},
		{"http://[2001:db8::1]:80", false, false},
		{"http://warren.example.com", true, true},
		{"ftp://warren.example.com", true, false},
		{"warren.example.com", false, false},
	} {
		err := CheckServer(c.server, c.insecure)
		if (err == nil) != c.ok {
			t.Errorf("CheckServer(%q, insecure=%v) = %v, want ok=%v", c.server, c.insecure, err, c.ok)
		}
		if err != nil && domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("CheckServer(%q): code %s, want invalid", c.server, domain.ErrorCode(err))
		}
	}
}

// TestDialRefusesKeyInClearWithoutDialling: the refusal comes before any
// connection (a listener that would see one stays untouched).
func TestDialRefusesKeyInClearWithoutDialling(t *testing.T) {
	_, err := Dial(context.Background(), Options{Server: "http://192.0.2.1:1", Key: "ak_x"})
	if err == nil || !strings.Contains(err.Error(), "in clear") || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("Dial over plain http to TEST-NET: %v; want the refusal", err)
	}
}

func TestLoadCA(t *testing.T) {
	dir := t.TempDir()
	ca1, _ := selfSigned(t, "one")
	ca2, _ := selfSigned(t, "two")
	both := filepath.Join(dir, "both.pem")
	os.WriteFile(both, append(pemCert(ca1), pemCert(ca2)...), 0o600)
	t.Run("OK", func(t *testing.T) {
		pool, err := LoadCA(both)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*x509.Certificate{ca1, ca2} {
			if _, err := c.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
				t.Errorf("%s not trusted: %v", c.Subject.CommonName, err)
			}
		}
	})
	t.Run("ErrBadFile", func(t *testing.T) {
		garbage := filepath.Join(dir, "garbage.pem")
		os.WriteFile(garbage, []byte("not a certificate\n"), 0o600)
		broken := filepath.Join(dir, "broken.pem")
		os.WriteFile(broken, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}), 0o600)
		for _, f := range []string{garbage, broken, filepath.Join(dir, "missing.pem")} {
			if _, err := LoadCA(f); err == nil || !strings.Contains(err.Error(), f) || domain.ErrorCode(err) != domain.CodeInvalid {
				t.Errorf("LoadCA(%s) = %v; want an invalid error naming the file", f, err)
			}
		}
	})
}

// TestConnectOverTLS: the handshake offers http/1.1 only (the upgrade is
// HTTP/1.1), verifies against RootCAs, and an untrusted certificate is a
// message naming --ca.
func TestConnectOverTLS(t *testing.T) {
	ca, key := selfSigned(t, "127.0.0.1")
	protos := make(chan []string, 4)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{ca.Raw}, PrivateKey: key}},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			protos <- h.SupportedProtos
			return nil, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { // answer every connect with a 401 once the handshake is done
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			c.(*tls.Conn).Handshake()
			c.Write([]byte("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			c.Close()
		}
	}()
	defer func() { ln.Close(); <-done }()
	server := "https://" + ln.Addr().String()
	pool := x509.NewCertPool()
	pool.AddCert(ca)

	_, err = Dial(context.Background(), Options{Server: server, Key: "ak_x", RootCAs: pool})
	if domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("Dial with the CA trusted: %v; want the server's 401 (the handshake passed)", err)
	}
	if p := <-protos; len(p) != 1 || p[0] != "http/1.1" {
		t.Fatalf("ALPN offered %q; want http/1.1 only", p)
	}
	_, err = Dial(context.Background(), Options{Server: server, Key: "ak_x"})
	if err == nil || !strings.Contains(err.Error(), "not trusted") || !strings.Contains(err.Error(), "--ca") {
		t.Fatalf("Dial against an untrusted certificate: %v; want a message naming --ca", err)
	}
	<-protos
	t.Run("ErrOtherName", func(t *testing.T) {
		// The certificate is for 127.0.0.1 only: trusted, but not for this name.
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		_, err := Dial(context.Background(), Options{Server: "https://localhost:" + port, Key: "ak_x", RootCAs: pool})
		if err == nil || !strings.Contains(err.Error(), "not trusted") || strings.Contains(err.Error(), "--ca") {
			t.Fatalf("Dial to a name the certificate is not for: %v; want a name mismatch, not the --ca hint", err)
		}
		<-protos
	})
}

// selfSigned makes a CA certificate that is also valid for 127.0.0.1.
func selfSigned(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	tmpl.Subject.CommonName = name
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
