package offline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

// runIn runs the binary in dir (its working directory), at most 10 s.
func runInDir(t *testing.T, dir string, args ...string) warrentest.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, warrentest.Bin(), args...)
	cmd.Dir, cmd.Env = dir, warrentest.ChildEnv("HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := warrentest.Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestOfflineCommandsRefuseADirectoryWithNoLog: `warren admin account
// create` run from another directory than the server's made a new empty
// ./data/warren.db there, printed a key that works nowhere and exited 0.
// Every offline command now refuses a data directory with no log (exit 1,
// naming the absolute path and the way out) and creates nothing.
func TestOfflineCommandsRefuseADirectoryWithNoLog(t *testing.T) {
	for name, args := range map[string][]string{
		"AccountCreate": {"admin", "account", "create", "--email", "x@example.com"},
		"AccountPlan":   {"admin", "account", "plan", "--email", "x@example.com", "--plan", "pro"},
		"AccountList":   {"admin", "account", "list"},
		"Password":      {"admin", "account", "password", "--email", "x@example.com", "--link", "--url", "https://w.example"},
		"Rebuild":       {"rebuild"},
		"Compact":       {"compact"},
		"EventsVerify":  {"events", "verify"},
		"EventsTail":    {"events", "tail"},
		"Backup":        {"backup", "--out", filepath.Join(t.TempDir(), "b.db")},
	} {
		t.Run(name, func(t *testing.T) {
			elsewhere := t.TempDir()
			r := runInDir(t, elsewhere, args...)
			want := filepath.Join(elsewhere, "data", "warren.db")
			if r.Code != 1 || !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "--data DIR") {
				t.Errorf("exit %d, stderr %q; want 1 naming %s and --data DIR", r.Code, r.Stderr, want)
			}
			if name == "AccountCreate" && !strings.Contains(r.Stderr, "--server URL") {
				t.Errorf("stderr %q does not suggest --server URL", r.Stderr)
			}
			if warrentest.KeyRe.MatchString(r.Stdout) {
				t.Errorf("a key was printed: %s", r.Stdout)
			}
			if _, err := os.Stat(filepath.Join(elsewhere, "data")); !os.IsNotExist(err) {
				t.Errorf("a data directory was created: %v", err)
			}
		})
	}
	t.Run("InitCreatesIt", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "fresh")
		r := warrentest.Run(t, nil, "admin", "account", "create", "--data", data, "--init", "--email", "first@example.com")
		if r.Code != 0 || !warrentest.KeyRe.MatchString(r.Stdout) {
			t.Fatalf("--init: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		warrentest.MustRun(t, "admin", "account", "list", "--data", data)
	})
}
