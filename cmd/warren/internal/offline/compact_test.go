package main

import (
	"regexp"
	"strconv"
	"testing"
)

func TestCompact(t *testing.T) {
	data := t.TempDir()
	seedAccounts(t, data, 20)
	// A rebuild frees every projection page it drops: something to reclaim.
	mustRun(t, "rebuild", "--data", data)
	before := headHashRe.FindStringSubmatch(mustRun(t, "events", "verify", "--data", data).stdout)

	r := mustRun(t, "compact", "--data", data)
	m := regexp.MustCompile(`(\d+) → (\d+) bytes`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("compact said %q", r.stdout)
	}
	from, _ := strconv.Atoi(m[1])
	to, _ := strconv.Atoi(m[2])
	if to <= 0 || to > from {
		t.Fatalf("compacted %d → %d bytes", from, to)
	}
	after := headHashRe.FindStringSubmatch(mustRun(t, "events", "verify", "--data", data).stdout)
	if before == nil || after == nil || before[1] != after[1] {
		t.Fatalf("head before %v, after %v", before, after)
	}
	if list := mustRun(t, "admin", "account", "list", "--data", data); len(regexp.MustCompile(`@example\.com`).FindAllString(list.stdout, -1)) != 20 {
		t.Fatalf("accounts after compaction:\n%s", list.stdout)
	}
	t.Run("ErrHeldByServer", func(t *testing.T) {
		srv := startServer(t, data)
		defer srv.stop(t)
		r := runWarren(t, nil, "compact", "--data", data)
		if r.code == 0 || !regexp.MustCompile(`in use by another process`).MatchString(r.stderr) {
			t.Fatalf("compact beside a server: exit %d, stderr %q", r.code, r.stderr)
		}
	})
}
