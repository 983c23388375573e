package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestRebuild(t *testing.T) {
	data := t.TempDir()
	seedAccounts(t, data, 3)
	mustRun(t, "admin", "account", "plan", "--data", data, "--email", "usera@example.com", "--plan", "pro")
	before := mustRun(t, "admin", "account", "list", "--data", data).stdout

	r := mustRun(t, "rebuild", "--data", data)
	if !regexp.MustCompile(`from 7 events in \S+ \([0-9]+ events/s\)`).MatchString(r.stdout) {
		t.Errorf("stdout %q", r.stdout)
	}
	if strings.Contains(r.stdout, "\r") {
		t.Errorf("progress bar drawn on a pipe: %q", r.stdout)
	}
	after := mustRun(t, "admin", "account", "list", "--data", data).stdout
	if after != before {
		t.Errorf("accounts differ after rebuild:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestOffline_LockedByServer: every offline command fails clearly, and
// within runWarren's 10 s bound, while a server holds the data dir.
func TestOffline_LockedByServer(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	defer s.stop(t)
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
			r := runWarren(t, nil, append(args, "--data", data)...)
			if r.code != 1 || !strings.Contains(r.stderr, "in use by another process") {
				t.Errorf("exit %d, stderr %q", r.code, r.stderr)
			}
		})
	}
}
