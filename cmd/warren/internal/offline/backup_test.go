package offline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warren/cmd/warren/internal/warrentest"
)

func TestBackup(t *testing.T) {
	data := t.TempDir()
	warrentest.SeedAccounts(t, data, 3)
	orig := headHashRe.FindStringSubmatch(warrentest.MustRun(t, "events", "verify", "--data", data).Stdout)

	t.Run("OK", func(t *testing.T) {
		restore := t.TempDir()
		out := filepath.Join(restore, "warren.db")
		r := warrentest.MustRun(t, "backup", "--data", data, "--out", out)
		if !strings.Contains(r.Stdout, "6 events") {
			t.Errorf("stdout %q", r.Stdout)
		}
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("backup mode %v, want 0600", st.Mode().Perm())
		}
		// The copy is a data dir of its own: verify accepts it, same head.
		v := warrentest.MustRun(t, "events", "verify", "--data", restore)
		got := headHashRe.FindStringSubmatch(v.Stdout)
		if got == nil || orig == nil || got[1] != orig[1] || !strings.Contains(v.Stdout, "ok: 6 events") {
			t.Errorf("backup verify:\n%s\noriginal head %v", v.Stdout, orig)
		}
		list := warrentest.MustRun(t, "admin", "account", "list", "--data", restore)
		if n := strings.Count(list.Stdout, "@example.com"); n != 3 {
			t.Errorf("%d accounts in the restored copy, want 3:\n%s", n, list.Stdout)
		}
		left, _ := filepath.Glob(filepath.Join(restore, ".*.tmp"))
		if len(left) > 0 {
			t.Errorf("temp files left: %v", left)
		}
	})

	t.Run("ErrNoOut", func(t *testing.T) {
		r := warrentest.Run(t, nil, "backup", "--data", data)
		if r.Code != 2 || !strings.Contains(r.Stderr, "--out is required") {
			t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
		}
	})
}
