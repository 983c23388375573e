package server

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"warren/cmd/warren/internal/command"
)

// TLSSettings is how `warren serve` speaks HTTPS. With no certificate
// source, none of it applies: the server speaks plain HTTP on Addr, as it
// always did.
type TLSSettings struct {
	// CertFile and KeyFile are the operator's pair (files mode), reloaded
	// when they change.
	CertFile, KeyFile string
	// Certs, when set, is the certificate source as is (ACME, a test's);
	// it wins over CertFile/KeyFile. Main owns it from Run on: Close
	// closes it.
	Certs CertSource
	// HTTPSAddr is where the public handler is served over TLS ("": ":443").
	HTTPSAddr string
	// HSTS, when positive, is the max-age of the Strict-Transport-Security
	// header on the API host's https answers (tunnel apps choose their own).
	HSTS time.Duration
	// HandshakeTimeout bounds a TLS handshake (0: 10 s, the edge's header
	// timeout). It is also the https listener's request-header timeout:
	// net/http bounds both with one setting.
	HandshakeTimeout time.Duration
	// ReloadEvery bounds how often a handshake looks at the files (0: 1 s).
	ReloadEvery time.Duration
}

// tlsFlags are the flags of TLSSettings, registered on serve's FlagSet.
type tlsFlags struct {
	cert, key, httpsAddr, hsts *string
}

// addTLSFlags registers --tls-cert, --tls-key, --https-addr and --hsts.
func addTLSFlags(e *command.Env, fs *flag.FlagSet) *tlsFlags {
	return &tlsFlags{
		cert:      fs.String("tls-cert", command.EnvDefault(e, "WARREN_TLS_CERT", ""), "PEM certificate (chain) served over HTTPS, e.g. a wildcard for *.<domain> and <domain>; reloaded when the file changes (env WARREN_TLS_CERT)"),
		key:       fs.String("tls-key", command.EnvDefault(e, "WARREN_TLS_KEY", ""), "PEM private key of --tls-cert (env WARREN_TLS_KEY)"),
		httpsAddr: fs.String("https-addr", command.EnvDefault(e, "WARREN_HTTPS_ADDR", ":443"), "HTTPS listen address when TLS is on; --addr then redirects to it (env WARREN_HTTPS_ADDR)"),
		hsts:      fs.String("hsts", command.EnvDefault(e, "WARREN_HSTS", "0"), "max-age of Strict-Transport-Security on the API host's HTTPS answers, e.g. 8760h (0: off; env WARREN_HSTS)"),
	}
}

// settings checks the parsed flags. When TLS is on and --addr was given
// neither as a flag nor through WARREN_ADDR, the plain listener moves to :80
// (it only redirects and answers ACME's HTTP-01 then).
func (f *tlsFlags) settings(e *command.Env, fs *flag.FlagSet, addr *string, acme bool) (TLSSettings, error) {
	s := TLSSettings{CertFile: *f.cert, KeyFile: *f.key, HTTPSAddr: *f.httpsAddr}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return s, &command.ExitError{Code: 2, Err: fmt.Errorf("--tls-cert and --tls-key go together: give both files or neither")}
	}
	hsts, err := time.ParseDuration(*f.hsts)
	if *f.hsts == "0" {
		hsts, err = 0, nil
	}
	if err != nil || hsts < 0 {
		return s, &command.ExitError{Code: 2, Err: fmt.Errorf("--hsts %q is not a duration (e.g. 8760h; 0: off)", *f.hsts)}
	}
	s.HSTS = hsts
	if _, err := strconv.Atoi(portOf(s.HTTPSAddr)); err != nil {
		return s, &command.ExitError{Code: 2, Err: fmt.Errorf("--https-addr %q is not host:port", s.HTTPSAddr)}
	}
	if s.CertFile != "" && acme {
		return s, &command.ExitError{Code: 2, Err: fmt.Errorf("--tls-cert and --acme-email are two ways to get certificates: give one")}
	}
	if (s.CertFile != "" || acme) && !flagGiven(fs, "addr") && command.EnvDefault(e, "WARREN_ADDR", "") == "" {
		*addr = ":80"
	}
	return s, nil
}

// on reports whether the operator asked for TLS through these flags (the
// ACME flags turn it on too: see pickCertSource).
func (s TLSSettings) on() bool { return s.Certs != nil || s.CertFile != "" }

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
