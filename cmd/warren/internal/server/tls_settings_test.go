package server

import (
	"io"
	"testing"
	"time"

	"warren/cmd/warren/internal/command"
)

func TestTLSFlags_Settings(t *testing.T) {
	for _, c := range []struct {
		name     string
		env      map[string]string
		args     []string
		wantAddr string
		wantHSTS time.Duration
		wantErr  bool
		acme     bool // --acme-email given
	}{
		{name: "NoTLSKeeps8080", args: nil, wantAddr: command.DefaultAddr},
		{name: "TLSMovesPlainTo80", args: []string{"--tls-cert", "c", "--tls-key", "k"}, wantAddr: ":80"},
		{name: "TLSKeepsGivenAddr", args: []string{"--tls-cert", "c", "--tls-key", "k", "--addr", ":8080"}, wantAddr: ":8080"},
		{name: "TLSKeepsEnvAddr", env: map[string]string{"WARREN_ADDR": ":81", "WARREN_TLS_CERT": "c", "WARREN_TLS_KEY": "k"}, wantAddr: ":81"},
		{name: "HSTS", args: []string{"--hsts", "8760h"}, wantAddr: command.DefaultAddr, wantHSTS: 8760 * time.Hour},
		{name: "ACMEMovesPlainTo80", acme: true, wantAddr: ":80"},
		{name: "ACMEKeepsGivenAddr", acme: true, args: []string{"--addr", ":8080"}, wantAddr: ":8080"},
		{name: "ErrFilesAndACME", acme: true, args: []string{"--tls-cert", "c", "--tls-key", "k"}, wantErr: true},
		{name: "ErrCertWithoutKey", args: []string{"--tls-cert", "c"}, wantErr: true},
		{name: "ErrHSTS", args: []string{"--hsts", "soon"}, wantErr: true},
		{name: "ErrHTTPSAddr", args: []string{"--https-addr", "443"}, wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &command.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return c.env[k] }}
			fs := command.NewFlagSet(e, "serve", "")
			addr := fs.String("addr", command.EnvDefault(e, "WARREN_ADDR", command.DefaultAddr), "")
			f := addTLSFlags(e, fs)
			if err := command.ParseFlags(fs, c.args); err != nil {
				t.Fatal(err)
			}
			s, err := f.settings(e, fs, addr, c.acme)
			if c.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *addr != c.wantAddr || s.HSTS != c.wantHSTS {
				t.Errorf("addr %q hsts %v, want %q %v", *addr, s.HSTS, c.wantAddr, c.wantHSTS)
			}
		})
	}
}
