package main

import (
	"strings"
	"testing"

	"warren/cmd/warren/internal/warrentest"
)

// TestMain builds the binary once for the tests here and checks for leaked
// goroutines after them.
func TestMain(m *testing.M) { warrentest.Main(m) }

// Usage: asked for, it goes to stdout with exit 0; a command line missing
// its command or subcommand is an error (exit 2), like a wrong one.
func TestUsageExitCodes(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		out  string // in stdout (exit 0) or stderr
	}{
		{nil, 2, "usage: warren COMMAND"},
		{[]string{"help"}, 0, "usage: warren COMMAND"},
		{[]string{"frob"}, 2, `unknown command "frob"`},
		{[]string{"events"}, 2, "usage: warren events SUBCOMMAND"},
		{[]string{"events", "--help"}, 0, "usage: warren events SUBCOMMAND"},
		{[]string{"admin"}, 2, "missing subcommand"},
		{[]string{"http", "--help"}, 0, "usage: warren http PORT|HOST:PORT"},
		{[]string{"tcp"}, 2, "missing PORT or HOST:PORT"},
		{[]string{"replay", "--help"}, 0, "warren replay --tunnel S"},
		{[]string{"start"}, 2, "usage: warren start --config FILE"},
	} {
		r := warrentest.Run(t, []string{"HOME=" + t.TempDir()}, c.args...)
		out := r.Stderr
		if c.code == 0 {
			out = r.Stdout + r.Stderr // flag's --help writes to the flag set's output
		}
		if r.Code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("warren %s: exit %d, want %d with %q\nstdout: %s\nstderr: %s", strings.Join(c.args, " "), r.Code, c.code, c.out, r.Stdout, r.Stderr)
		}
	}
}
