package offline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warren/cmd/warren/internal/warrentest"
)

func TestBackup_Server(t *testing.T) {
	s := warrentest.StartServer(t, t.TempDir())
	defer s.Stop(t)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	env := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s.URL, "WARREN_API_KEY="+key)
	warrentest.CLIOK(t, env, "reservations", "add", "kept-in-backup")

	restored := t.TempDir()
	out := filepath.Join(restored, "warren.db")

	t.Run("OK", func(t *testing.T) {
		r := warrentest.MustRun(t, "backup", "--server", s.URL, "--key", key, "--out", out)
		if !strings.Contains(r.Stdout, "wrote "+out) || !strings.Contains(r.Stdout, "4 events verified") {
			t.Fatalf("stdout: %s", r.Stdout)
		}
		if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("backup file: %v %v", fi, err)
		}
		warrentest.MustRun(t, "events", "verify", "--data", restored)
	})
	t.Run("ServerOnCopy", func(t *testing.T) {
		s2 := warrentest.StartServer(t, restored)
		defer s2.Stop(t)
		env2 := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s2.URL, "WARREN_API_KEY="+key)
		if got := warrentest.CLIOK(t, env2, "reservations"); !strings.Contains(got, "kept-in-backup") {
			t.Fatalf("reservations on the restored server:\n%s", got)
		}
		warrentest.CLIOK(t, env2, "reservations", "add", "after-restore")
	})
	t.Run("ErrNotOperator", func(t *testing.T) {
		r := warrentest.Run(t, nil, "backup", "--server", s.URL, "--key", "ak_nope", "--out", filepath.Join(t.TempDir(), "x.db"))
		if r.Code == 0 || !strings.Contains(r.Stderr, "unauthorized") {
			t.Fatalf("exit %d stderr %s", r.Code, r.Stderr)
		}
	})
}
