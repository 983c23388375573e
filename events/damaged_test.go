package events_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"warren/events"
)

// damagedLog builds a closed log of n events (every 4th with a body, so the
// file spans many pages) that a test may then damage. It is opened without
// logtest's check: damaging it is the point.
func damagedLog(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warren.db")
	l, err := events.Open(path, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		d := reservation("acc_d", fmt.Sprintf("d%d", i))
		if i%4 == 0 {
			d.Bodies = [][]byte{[]byte(strings.Repeat(fmt.Sprintf("body %d ", i), 200))}
		}
		mustAppend(t, l, d)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// refused opens path both ways and checks each refuses it with a message
// that names the file and the way out.
func refused(t *testing.T, path string, modes ...bool) *events.DamagedError {
	t.Helper()
	var last *events.DamagedError
	for _, ro := range modes {
		l, err := events.Open(path, events.Options{ReadOnly: ro})
		if err == nil {
			l.Close()
			t.Fatalf("opened a damaged file (read-only %v)", ro)
		}
		var de *events.DamagedError
		if !errors.As(err, &de) {
			t.Fatalf("read-only %v: %v, want a DamagedError", ro, err)
		}
		for _, want := range []string{path, "warren events verify", "backup"} {
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("read-only %v: the refusal does not say %q: %v", ro, want, err)
			}
		}
		last = de
	}
	return last
}

func TestOpenRefusesEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warren.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, path, false, true)
	// Never re-initialised: still empty.
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Fatalf("the empty file was written to: %v %v", fi.Size(), err)
	}
}

func TestOpenRefusesTruncatedFile(t *testing.T) {
	path := damagedLog(t, 400)
	// The file is longer than what it uses (bbolt grows it ahead): cut into
	// the used part, whose size a transaction knows.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var used int64
	db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	db.Close()
	for _, size := range []int64{used - 1, used / 2, 4096 + 100, 100} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			cut := filepath.Join(t.TempDir(), "warren.db")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cut, b[:size], 0o600); err != nil {
				t.Fatal(err)
			}
			refused(t, cut, false, true)
		})
	}
}

func TestOpenRefusesFlippedLastEvent(t *testing.T) {
	for name, pos := range map[string]int{"Data": -2, "Prev": 20} {
		t.Run(name, func(t *testing.T) {
			path := damagedLog(t, 30)
			flipByte(t, path, 29, pos)
			refused(t, path, false)
			// Read-only, for verify: it names the event.
			l, err := events.Open(path, events.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			var ve *events.VerifyError
			if _, err := l.Verify(nil); !errors.As(err, &ve) || ve.Index != 29 {
				t.Fatalf("verify: %v, want event #29 named", err)
			}
		})
	}
}

func TestOpenRefusesBadMetaPage(t *testing.T) {
	path := damagedLog(t, 30)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Both meta pages, the last bytes of each: their checksums.
	for _, off := range []int{16 + 60, 4096 + 16 + 60} {
		b[off] ^= 0xff
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, path, false, true)
}

// TestOpenRefusesOneBadMetaPageForWriting: bbolt would fall back to the
// other meta page (and lose the last commit); the server refuses, while a
// read-only open (verify, backup) may still read what is there.
func TestOpenRefusesOneBadMetaPageForWriting(t *testing.T) {
	path := damagedLog(t, 30)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[16+60] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if de := refused(t, path, false); !strings.Contains(de.Problem, "meta page 0") {
		t.Fatalf("problem %q does not name the page", de.Problem)
	}
	l, err := events.Open(path, events.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	defer l.Close()
	if _, err := l.Verify(nil); err != nil {
		t.Fatal(err)
	}
}

// TestOpenRefusesBrokenFreelistPage: bbolt panics on a page that is not
// what the meta says; Open turns that into a refusal.
func TestOpenRefusesBrokenFreelistPage(t *testing.T) {
	path := damagedLog(t, 30)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Meta page 0's freelist page id sits 32 bytes into the meta, after the
	// 16-byte page header; overwrite that page's flags and count with junk,
	// in both metas' freelist pages.
	for _, meta := range []int{0, 4096} {
		fl := int(binary.NativeEndian.Uint64(b[meta+16+32:]))
		copy(b[fl*4096+8:fl*4096+12], []byte{0xff, 0xff, 0xff, 0xff})
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, path, false)
}
