package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackup(t *testing.T) {
	data := t.TempDir()
	seedAccounts(t, data, 3)
	orig := headHashRe.FindStringSubmatch(mustRun(t, "events", "verify", "--data", data).stdout)

	t.Run("OK", func(t *testing.T) {
		restore := t.TempDir()
		out := filepath.Join(restore, "warren.db")
		r := mustRun(t, "backup", "--data", data, "--out", out)
		if !strings.Contains(r.stdout, "6 events") {
			t.Errorf("stdout %q", r.stdout)
		}
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("backup mode %v, want 0600", st.Mode().Perm())
		}
		// The copy is a data dir of its own: verify accepts it, same head.
		v := mustRun(t, "events", "verify", "--data", restore)
		got := headHashRe.FindStringSubmatch(v.stdout)
		if got == nil || orig == nil || got[1] != orig[1] || !strings.Contains(v.stdout, "ok: 6 events") {
			t.Errorf("backup verify:\n%s\noriginal head %v", v.stdout, orig)
		}
		list := mustRun(t, "admin", "account", "list", "--data", restore)
		if n := strings.Count(list.stdout, "@example.com"); n != 3 {
			t.Errorf("%d accounts in the restored copy, want 3:\n%s", n, list.stdout)
		}
		left, _ := filepath.Glob(filepath.Join(restore, ".*.tmp"))
		if len(left) > 0 {
			t.Errorf("temp files left: %v", left)
		}
	})

	t.Run("ErrNoOut", func(t *testing.T) {
		r := runWarren(t, nil, "backup", "--data", data)
		if r.code != 2 || !strings.Contains(r.stderr, "--out is required") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}
