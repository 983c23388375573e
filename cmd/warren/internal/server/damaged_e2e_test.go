package server

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warren/cmd/warren/internal/warrentest"
)

// TestServeRefusesADamagedDataFile: serve never starts over a data file it
// cannot trust. An empty file is not made into a new log (that would hide
// every account behind a new operator), a cut-short one is not mapped (a
// SIGBUS and a goroutine dump), and broken meta pages are not ignored:
// each is a refusal that names the file and what to do, and the file is
// left as it was.
func TestServeRefusesADamagedDataFile(t *testing.T) {
	good := t.TempDir()
	warrentest.SeedAccounts(t, good, 3)
	orig, err := os.ReadFile(filepath.Join(good, "warren.db"))
	if err != nil {
		t.Fatal(err)
	}
	if len(orig) < 8<<10 {
		t.Fatalf("seeded log is only %d bytes", len(orig))
	}
	flipMeta := func(b []byte) []byte {
		// Both bbolt meta pages (page 0 and 1, 4 KiB pages): a byte of the
		// root bucket's page id, which their checksums cover.
		b = bytes.Clone(b)
		b[16+16] ^= 0xff
		b[4096+16+16] ^= 0xff
		return b
	}
	for _, c := range []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"Empty", func([]byte) []byte { return nil }},
		// Three 4 KiB pages: the metas and the freelist, none of the
		// buckets' pages (bbolt may size the file past its last page, so
		// cutting a fraction could cut only unused space).
		{"Truncated", func(b []byte) []byte { return bytes.Clone(b[:3*4096]) }},
		{"CorruptMetaPages", flipMeta},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := t.TempDir()
			path := filepath.Join(data, "warren.db")
			damaged := c.damage(orig)
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			r := warrentest.Run(t, nil, "serve", "--data", data, "--addr", "127.0.0.1:0", "--domain", "localhost")
			if r.Code == 0 {
				t.Fatalf("serve started over a damaged file; stdout:\n%s", r.Stdout)
			}
			for _, bad := range []string{"goroutine ", "SIGBUS", "panic:"} {
				if strings.Contains(r.Stderr, bad) {
					t.Fatalf("serve crashed (%q) instead of refusing:\n%s", bad, r.Stderr)
				}
			}
			if !strings.Contains(r.Stderr, path) || !strings.Contains(r.Stderr, "verify") {
				t.Errorf("the refusal should name %s and `warren events verify`; stderr:\n%s", path, r.Stderr)
			}
			if strings.Contains(r.Stdout, "ak_") {
				t.Errorf("serve made a new operator key over a damaged file:\n%s", r.Stdout)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, damaged) {
				t.Errorf("serve changed the damaged file (%d bytes → %d)", len(damaged), len(after))
			}
		})
	}
}
