// Package acmetest runs an ACME world on loopback for tests: pebble, the
// Let's Encrypt test CA, in process over TLS (Pebble), and an
// authoritative DNS server that resolves a few zones to 127.0.0.1 and
// takes RFC 2136 updates (DNS). Pebble's validator resolves names through
// that server and dials the challenge ports it is given, so a certificate
// source under test obtains real certificates with no network.
//
// It imports pebble's packages: only _test.go files may import it, so
// that pebble never reaches the warren binary
// (`go list -deps ./cmd/warren | grep -c pebble` prints 0).
package acmetest

import "go.uber.org/goleak"

// LeakIgnores are goleak's options for a test package that ran ACME:
// two goroutines outlive every test by their libraries' design, not ours.
// certmagic keeps one rate limiter per CA and account in a package map and
// never stops it (its own TODO), and pebble's VA reads its task channel
// for the life of the process (the channel is never closed).
func LeakIgnores() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/caddyserver/certmagic.(*RingBufferRateLimiter).loop"),
		goleak.IgnoreAnyFunction("github.com/letsencrypt/pebble/v2/va.VAImpl.processTasks"),
	}
}
