package server

import (
	"crypto/tls"
	"net/http"
)

// CertSource is where the public HTTPS listener's certificates come from:
// the operator's files (reloaded when they change) or ACME (certmagic).
// Run picks one from the flags; with none, the server speaks plain HTTP.
type CertSource interface {
	// TLSConfig is the HTTPS listener's configuration: GetCertificate and
	// NextProtos (the listener adds "h2" and "http/1.1"; an ACME source
	// adds "acme-tls/1" for TLS-ALPN-01).
	TLSConfig() *tls.Config
	// HTTPChallenge wraps the plain listener's handler so it answers
	// ACME HTTP-01 challenges (/.well-known/acme-challenge/) before next;
	// a source without ACME returns next.
	HTTPChallenge(next http.Handler) http.Handler
	// Ready reports whether the base domain's certificate is loaded
	// (/readyz fails until it is).
	Ready() error
	// Close stops renewals and file watching.
	Close() error
}
