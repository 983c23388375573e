package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server/certs"
	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

func TestACMEFlags_Settings(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root.pem")
	mustWriteRoot(t, root)
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		env     map[string]string
		args    []string
		want    func(ACMESettings) bool
		wantErr bool
	}{
		{name: "Off", want: func(s ACMESettings) bool { return !s.on() }},
		{name: "EmailDefaultsToLetsEncrypt", args: []string{"--acme-email", "ops@example.org"},
			want: func(s ACMESettings) bool { return s.on() && s.CA == certs.LetsEncrypt }},
		{name: "EnvTwin", env: map[string]string{"WARREN_ACME_EMAIL": "ops@example.org", "WARREN_ACME_CA": "https://ca.test/dir"},
			want: func(s ACMESettings) bool { return s.Email == "ops@example.org" && s.CA == "https://ca.test/dir" }},
		{name: "RFC2136WithTSIG", args: []string{"--acme-email", "e@x.org", "--dns-rfc2136-server", "ns1.example.org:53", "--dns-rfc2136-tsig-key", "warren:c2VjcmV0"},
			want: func(s ACMESettings) bool { return s.TSIGName == "warren" && s.TSIGSecret == "c2VjcmV0" }},
		{name: "CARoot", args: []string{"--acme-email", "e@x.org", "--acme-ca-root", root},
			want: func(s ACMESettings) bool { return s.CARoots != nil }},
		{name: "ErrCARootNotPEM", args: []string{"--acme-email", "e@x.org", "--acme-ca-root", notPEM}, wantErr: true},
		{name: "ErrCARootMissing", args: []string{"--acme-email", "e@x.org", "--acme-ca-root", filepath.Join(dir, "nope")}, wantErr: true},
		{name: "ErrDNSWithoutEmail", args: []string{"--dns-exec", "/bin/true"}, wantErr: true},
		{name: "ErrTwoProviders", args: []string{"--acme-email", "e@x.org", "--dns-exec", "/bin/true", "--dns-rfc2136-server", "ns:53"}, wantErr: true},
		{name: "ErrTSIGWithoutServer", args: []string{"--acme-email", "e@x.org", "--dns-rfc2136-tsig-key", "k:c2VjcmV0"}, wantErr: true},
		{name: "ErrTSIG", args: []string{"--acme-email", "e@x.org", "--dns-rfc2136-server", "ns:53", "--dns-rfc2136-tsig-key", "nocolon"}, wantErr: true},
		{name: "ErrCANotHTTPS", args: []string{"--acme-email", "e@x.org", "--acme-ca", "http://ca.test/dir"}, wantErr: true},
		{name: "ErrServer", args: []string{"--acme-email", "e@x.org", "--dns-rfc2136-server", "ns"}, wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &command.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return c.env[k] }}
			fs := command.NewFlagSet(e, "serve", "")
			f := addACMEFlags(e, fs)
			if err := command.ParseFlags(fs, c.args); err != nil {
				t.Fatal(err)
			}
			s, err := f.settings()
			if c.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil || !c.want(s) {
				t.Fatalf("%+v, %v", s, err)
			}
		})
	}
}

// The source the server builds keeps its files in <data>/certs (0700),
// speaks acme-tls/1, and refuses a name the projections do not know
// before it asks any CA (this CA address answers nothing).
func TestACMESource_RefusesUnknownNamesWithoutTheCA(t *testing.T) {
	data := t.TempDir()
	l := logtest.OpenAt(t, DBPath(data), events.Options{Applier: projections.New()})
	if err := projections.Init(l.DB()); err != nil {
		t.Fatal(err)
	}
	m := NewMain(Config{DataDir: data, Domain: "warren.test", ACME: ACMESettings{Email: "ops@warren.test", CA: "https://127.0.0.1:1/dir"}})
	m.Log = l
	src, err := m.acmeSource(":80", ":443")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fi, err := os.Stat(filepath.Join(data, "certs"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("certs dir: %v, %v", fi, err)
	}
	cfg := src.TLSConfig()
	if !slices.Contains(cfg.NextProtos, "acme-tls/1") {
		t.Fatalf("NextProtos %v", cfg.NextProtos)
	}
	if _, err := cfg.GetCertificate(&tls.ClientHelloInfo{ServerName: "stranger.example.net"}); err == nil {
		t.Fatal("a certificate for a name nobody verified")
	}
	if src.Ready() == nil {
		t.Fatal("ready with no certificate")
	}
}

// mustWriteRoot writes a self-signed CA certificate, PEM, to path.
func mustWriteRoot(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
