package offline

import (
	"regexp"
	"strconv"
	"testing"

	"warren/cmd/warren/internal/warrentest"
)

func TestCompact(t *testing.T) {
	data := t.TempDir()
	warrentest.SeedAccounts(t, data, 20)
	// A rebuild frees every projection page it drops: something to reclaim.
	warrentest.MustRun(t, "rebuild", "--data", data)
	before := headHashRe.FindStringSubmatch(warrentest.MustRun(t, "events", "verify", "--data", data).Stdout)

	r := warrentest.MustRun(t, "compact", "--data", data)
	m := regexp.MustCompile(`(\d+) → (\d+) bytes`).FindStringSubmatch(r.Stdout)
	if m == nil {
		t.Fatalf("compact said %q", r.Stdout)
	}
	from, _ := strconv.Atoi(m[1])
	to, _ := strconv.Atoi(m[2])
	if to <= 0 || to > from {
		t.Fatalf("compacted %d → %d bytes", from, to)
	}
	after := headHashRe.FindStringSubmatch(warrentest.MustRun(t, "events", "verify", "--data", data).Stdout)
	if before == nil || after == nil || before[1] != after[1] {
		t.Fatalf("head before %v, after %v", before, after)
	}
	if list := warrentest.MustRun(t, "admin", "account", "list", "--data", data); len(regexp.MustCompile(`@example\.com`).FindAllString(list.Stdout, -1)) != 20 {
		t.Fatalf("accounts after compaction:\n%s", list.Stdout)
	}
	t.Run("ErrHeldByServer", func(t *testing.T) {
		srv := warrentest.StartServer(t, data)
		defer srv.Stop(t)
		r := warrentest.Run(t, nil, "compact", "--data", data)
		if r.Code == 0 || !regexp.MustCompile(`in use by another process`).MatchString(r.Stderr) {
			t.Fatalf("compact beside a server: exit %d, stderr %q", r.Code, r.Stderr)
		}
	})
}
