package certs

import (
	"testing"

	"go.uber.org/goleak"
)

// Two goroutines outlive every test by their libraries' design, not ours:
// certmagic keeps one rate limiter per CA and account in a package map and
// never stops it (its own TODO), and pebble's VA reads its task channel for
// the life of the process (the channel is never closed).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/caddyserver/certmagic.(*RingBufferRateLimiter).loop"),
		goleak.IgnoreAnyFunction("github.com/letsencrypt/pebble/v2/va.VAImpl.processTasks"),
	)
}
