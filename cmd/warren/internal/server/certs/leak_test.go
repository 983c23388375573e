package certs

import (
	"testing"

	"go.uber.org/goleak"

	"warren/cmd/warren/internal/server/certs/acmetest"
)

// Two goroutines outlive every test by their libraries' design, not ours:
// see acmetest.LeakIgnores.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, acmetest.LeakIgnores()...)
}
