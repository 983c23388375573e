// Package warrentest holds the helpers the end-to-end tests of cmd/warren
// share: the real binary, built once per test package, run as a child
// process (a server, an agent, a one-shot command). Only tests import it.
package warrentest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// bin is the binary Main built. A package variable because testing.M gives
// TestMain no other way to hand state to the tests of its package.
var bin string

// Main is a test package's TestMain: it builds the warren binary once,
// runs the tests, then checks that no goroutine outlived them; ignore are
// goleak's options for the goroutines a library keeps by design.
func Main(m *testing.M, ignore ...goleak.Option) {
	dir, err := os.MkdirTemp("", "warren-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "warren")
	build := exec.Command("go", "build", "-o", bin, "warren/cmd/warren")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building warren:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		// Every goroutine has an owner that waits for it.
		if err := goleak.Find(ignore...); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Bin is the path of the binary Main built.
func Bin() string { return bin }

// Result is a finished child.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// ChildEnv is the environment without any WARREN_* twin of the caller's.
func ChildEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WARREN_") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// Run runs the binary to completion, failing the test if it takes more
// than 10 s (an offline command must never hang).
func Run(t testing.TB, env []string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = ChildEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("warren %s did not finish within 10 s; stderr: %s", strings.Join(args, " "), stderr.String())
	}
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running warren %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// MustRun runs the binary and requires exit 0.
func MustRun(t testing.TB, args ...string) Result {
	t.Helper()
	r := Run(t, nil, args...)
	if r.Code != 0 {
		t.Fatalf("warren %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r
}

// LockedBuffer is a bytes.Buffer a child's output copier and the test may
// use at once.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// KeyRe matches an API key secret in output.
var KeyRe = regexp.MustCompile(`ak_[0-9A-Za-z]+`)

// LastLine is the last non-empty line of s.
func LastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
