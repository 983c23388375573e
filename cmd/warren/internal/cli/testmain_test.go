package cli

import (
	"testing"

	"warren/cmd/warren/internal/warrentest"
)

// TestMain builds the binary once for this package's end-to-end tests and
// checks for leaked goroutines after them.
func TestMain(m *testing.M) { warrentest.Main(m) }
