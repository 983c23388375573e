package offline

import (
	"regexp"
	"strings"
	"testing"

	"warren/cmd/warren/internal/warrentest"
)

func TestRebuild(t *testing.T) {
	data := t.TempDir()
	warrentest.SeedAccounts(t, data, 3)
	warrentest.MustRun(t, "admin", "account", "plan", "--data", data, "--email", "usera@example.com", "--plan", "pro")
	before := warrentest.MustRun(t, "admin", "account", "list", "--data", data).Stdout

	r := warrentest.MustRun(t, "rebuild", "--data", data)
	if !regexp.MustCompile(`from 7 events in \S+ \([0-9]+ events/s\)`).MatchString(r.Stdout) {
		t.Errorf("stdout %q", r.Stdout)
	}
	if strings.Contains(r.Stdout, "\r") {
		t.Errorf("progress bar drawn on a pipe: %q", r.Stdout)
	}
	after := warrentest.MustRun(t, "admin", "account", "list", "--data", data).Stdout
	if after != before {
		t.Errorf("accounts differ after rebuild:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestOffline_LockedByServer: every offline command fails clearly, and
// within runWarren's 10 s bound, while a server holds the data dir.
func TestOffline_LockedByServer(t *testing.T) {
	data := t.TempDir()
	s := warrentest.StartServer(t, data)
	defer s.Stop(t)
	// The group returns only when its parallel subtests are done, so the
	// server outlives them; in parallel, the 2 s lock waits overlap.
	t.Run("Group", func(t *testing.T) {
		lockedCases(t, data)
	})
}

func lockedCases(t *testing.T, data string) {
	for name, args := range map[string][]string{
		"EventsVerify":  {"events", "verify"},
		"EventsTail":    {"events", "tail"},
		"AccountCreate": {"admin", "account", "create", "--email", "x@example.com"},
		"AccountList":   {"admin", "account", "list"},
		"Rebuild":       {"rebuild"},
		"Backup":        {"backup", "--out", t.TempDir() + "/b.db"},
		"SecondServer":  {"serve", "--addr", "127.0.0.1:0"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := warrentest.Run(t, nil, append(args, "--data", data)...)
			if r.Code != 1 || !strings.Contains(r.Stderr, "in use by another process") {
				t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
			}
		})
	}
}
