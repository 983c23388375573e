package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackup_Server(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.stop(t)
	key := keyRe.FindString(s.waitOutput(t, "ak_"))
	env := append(cliEnv(t), "WARREN_SERVER="+s.url, "WARREN_API_KEY="+key)
	cliOK(t, env, "reservations", "add", "kept-in-backup")

	restored := t.TempDir()
	out := filepath.Join(restored, "warren.db")

	t.Run("OK", func(t *testing.T) {
		r := mustRun(t, "backup", "--server", s.url, "--key", key, "--out", out)
		if !strings.Contains(r.stdout, "wrote "+out) || !strings.Contains(r.stdout, "3 events verified") {
			t.Fatalf("stdout: %s", r.stdout)
		}
		if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("backup file: %v %v", fi, err)
		}
		mustRun(t, "events", "verify", "--data", restored)
	})
	t.Run("ServerOnCopy", func(t *testing.T) {
		s2 := startServer(t, restored)
		defer s2.stop(t)
		env2 := append(cliEnv(t), "WARREN_SERVER="+s2.url, "WARREN_API_KEY="+key)
		if got := cliOK(t, env2, "reservations"); !strings.Contains(got, "kept-in-backup") {
			t.Fatalf("reservations on the restored server:\n%s", got)
		}
		cliOK(t, env2, "reservations", "add", "after-restore")
	})
	t.Run("ErrNotOperator", func(t *testing.T) {
		r := runWarren(t, nil, "backup", "--server", s.url, "--key", "ak_nope", "--out", filepath.Join(t.TempDir(), "x.db"))
		if r.code == 0 || !strings.Contains(r.stderr, "unauthorized") {
			t.Fatalf("exit %d stderr %s", r.code, r.stderr)
		}
	})
}
