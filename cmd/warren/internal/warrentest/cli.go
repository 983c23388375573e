package warrentest

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// CLIEnv is a logged-out environment with its own HOME and config dir.
func CLIEnv(t testing.TB) []string {
	home := t.TempDir()
	return []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config")}
}

// CLIOK runs the binary and requires exit 0.
func CLIOK(t testing.TB, env []string, args ...string) string {
	t.Helper()
	r := Run(t, env, args...)
	if r.Code != 0 {
		t.Fatalf("warren %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// CLIFails runs the binary and requires a non-zero exit whose stderr holds msg.
func CLIFails(t testing.TB, env []string, msg string, args ...string) {
	t.Helper()
	r := Run(t, env, args...)
	if r.Code == 0 || !strings.Contains(r.Stderr, msg) {
		t.Fatalf("warren %s: exit %d, stderr %q; want a failure saying %q", strings.Join(args, " "), r.Code, r.Stderr, msg)
	}
}

// CLIJSON runs the binary with --json and decodes its stdout into v.
func CLIJSON(t testing.TB, env []string, v any, args ...string) {
	t.Helper()
	out := CLIOK(t, env, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("warren %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}
