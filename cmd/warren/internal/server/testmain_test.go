package server

import (
	"testing"

	"warren/cmd/warren/internal/server/certs/acmetest"
	"warren/cmd/warren/internal/warrentest"
)

// TestMain builds the binary once for this package's end-to-end tests and
// checks for leaked goroutines after them, but for the two that ACME's
// libraries keep for the life of the process (acmetest.LeakIgnores).
func TestMain(m *testing.M) { warrentest.Main(m, acmetest.LeakIgnores()...) }
