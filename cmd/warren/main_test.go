package main

import (
	"go.uber.org/goleak"

	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// warrenBin is the binary TestMain builds once; every e2e test runs it as a
// real process.
var warrenBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "warren-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	warrenBin = filepath.Join(dir, "warren")
	build := exec.Command("go", "build", "-o", warrenBin, ".")
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
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// result is a finished child.
type result struct {
	stdout, stderr string
	code           int
}

// childEnv is the environment without any WARREN_* twin of the caller's.
func childEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WARREN_") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// runWarren runs the binary to completion, failing the test if it takes
// more than 10 s (an offline command must never hang).
func runWarren(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, warrenBin, args...)
	cmd.Env = childEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("warren %s did not finish within 10 s; stderr: %s", strings.Join(args, " "), stderr.String())
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running warren %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustRun runs the binary and requires exit 0.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := runWarren(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("warren %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// server is a `warren serve` child process.
type server struct {
	cmd   *exec.Cmd
	addr  string // from "listening on ADDR"
	url   string // from "Warren is running at URL"
	mu    sync.Mutex
	out   bytes.Buffer
	lines chan string
	exit  chan error
	// stderr is the child's, for failure messages.
	stderr *lockedBuffer
}

// lockedBuffer is a bytes.Buffer the child's stderr copier and the test
// may use at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServer starts `warren serve` on 127.0.0.1:0 over data and waits for
// its address and URL lines.
func startServer(t testing.TB, data string) *server {
	t.Helper()
	return startServerAt(t, data, "127.0.0.1:0")
}

// startServerAt is startServer on a given address (a restart on the same one).
func startServerAt(t testing.TB, data, addr string) *server {
	t.Helper()
	cmd := exec.Command(warrenBin, "serve", "--data", data, "--addr", addr, "--domain", "localhost")
	cmd.Env = childEnv()
	stderr := new(lockedBuffer)
	cmd.Stderr = stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, lines: make(chan string, 100), exit: make(chan error, 1), stderr: stderr}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			select {
			case s.lines <- sc.Text():
			default:
			}
		}
		close(s.lines)
		s.exit <- cmd.Wait()
	}()
	// Kill whether or not it already exited (ErrProcessDone then): reading
	// cmd.ProcessState here would race with the Wait above.
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	deadline := time.After(10 * time.Second)
	for s.url == "" {
		select {
		case line, ok := <-s.lines:
			if !ok {
				t.Fatalf("serve exited before it was ready; stderr: %s", stderr.String())
			}
			if a, ok := strings.CutPrefix(line, "listening on "); ok {
				s.addr = a
			}
			if u, ok := strings.CutPrefix(line, "Warren is running at "); ok {
				s.url = u
			}
		case <-deadline:
			t.Fatalf("serve not ready within 10 s; stderr: %s", stderr.String())
		}
	}
	return s
}

// stop sends SIGTERM and requires a clean exit within 10 s; it returns all
// of stdout.
func (s *server) stop(t testing.TB) string {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exit:
		if err != nil {
			t.Errorf("serve exited with %v; stderr:\n%s", err, s.stderr.String())
		}
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		t.Fatal("serve did not stop within 10 s of SIGTERM")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// output returns stdout so far.
func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// getHealthz returns the status and body of GET /healthz.
func getHealthz(t *testing.T, addr string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var keyRe = regexp.MustCompile(`ak_[0-9A-Za-z]+`)

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// waitOutput waits until stdout holds substr (10 s at most).
func (s *server) waitOutput(t testing.TB, substr string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := s.output()
		if strings.Contains(out, substr) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve stdout never held %q; it is:\n%s", substr, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

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
		r := runWarren(t, []string{"HOME=" + t.TempDir()}, c.args...)
		out := r.stderr
		if c.code == 0 {
			out = r.stdout + r.stderr // flag's --help writes to the flag set's output
		}
		if r.code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("warren %s: exit %d, want %d with %q\nstdout: %s\nstderr: %s", strings.Join(c.args, " "), r.code, c.code, c.out, r.stdout, r.stderr)
		}
	}
}
