package sealed

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"warren/domain"
)

// the secret the tests look for in every byte on disk.
const plaintext = "whsec_PLAINTEXT_must_never_reach_disk_9f2c"

func paths(t *testing.T) Options {
	t.Helper()
	dir := t.TempDir()
	return Options{Path: filepath.Join(dir, "secrets.sealed"), KeyPath: filepath.Join(dir, "secrets.key"),
		Now: func() time.Time { return time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC) }}
}

func mustOpen(t *testing.T, opt Options) *Store {
	t.Helper()
	s, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestStore_PutGetDeleteList: a secret put is got back, listed without its
// value, survives a reopen, and is gone after Delete.
func TestStore_PutGetDeleteList(t *testing.T) {
	opt := paths(t)
	s := mustOpen(t, opt)
	id, fp, err := s.Put(plaintext)
	if err != nil {
		t.Fatal(err)
	}
	id2, fp2, err := s.Put("github-secret")
	if err != nil {
		t.Fatal(err)
	}
	if fp == fp2 || fp != s.Fingerprint(plaintext) || len(fp) != len("fp_")+16 {
		t.Fatalf("fingerprints %q %q", fp, fp2)
	}
	if got, err := s.Get(id); err != nil || got != plaintext {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, opt)
	l := s.List()
	if len(l) != 2 || l[0].ID != id || l[0].Fingerprint != fp || l[1].ID != id2 || !l[0].Created.Equal(opt.Now()) {
		t.Fatalf("List after reopen = %+v", l)
	}
	if err := s.Delete(id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(id); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("Get after Delete: %v", err)
	}
	if err := s.Delete(id); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("second Delete: %v", err)
	}
	if got, err := s.Get(id2); err != nil || got != "github-secret" {
		t.Fatalf("the other secret: %q, %v", got, err)
	}
	if _, _, err := s.Put(""); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("empty Put: %v", err)
	}
}

// TestStore_PlaintextInNoByteOnDisk: neither the store file nor anything
// else in its directory holds the secret, in clear or in an encoding of it;
// after Delete, not even the unsealed store does.
func TestStore_PlaintextInNoByteOnDisk(t *testing.T) {
	opt := paths(t)
	s := mustOpen(t, opt)
	id, _, err := s.Put(plaintext)
	if err != nil {
		t.Fatal(err)
	}
	encodings := [][]byte{[]byte(plaintext), []byte(hex.EncodeToString([]byte(plaintext))),
		[]byte(base64.StdEncoding.EncodeToString([]byte(plaintext))), []byte("PLAINTEXT_must_never")}
	assertNowhere := func() {
		t.Helper()
		entries, err := os.ReadDir(filepath.Dir(opt.Path))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(filepath.Dir(opt.Path), e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, enc := range encodings {
				if bytes.Contains(b, enc) {
					t.Fatalf("%s holds the secret (%q)", e.Name(), enc)
				}
			}
		}
	}
	assertNowhere()

	if err := s.Delete(id); err != nil {
		t.Fatal(err)
	}
	assertNowhere()
	b, err := os.ReadFile(opt.Path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.unseal(b) // with the key, as someone holding both files would
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Secrets {
		if r.Secret == plaintext || r.ID == id {
			t.Fatalf("the unsealed store still holds the deleted secret: %+v", r)
		}
	}
}

// TestOpen_CreatesTheKeyFile0600: a first Open makes a 32-byte key file
// readable by its owner only.
func TestOpen_CreatesTheKeyFile0600(t *testing.T) {
	opt := paths(t)
	mustOpen(t, opt)
	fi, err := os.Stat(opt.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	if fi.Size() != KeySize {
		t.Fatalf("key file is %d bytes", fi.Size())
	}
}

// TestOpen_RefusesAKeyFileOthersMayRead: group or other permission bits on
// the key file stop the store from opening.
func TestOpen_RefusesAKeyFileOthersMayRead(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	opt := paths(t)
	s := mustOpen(t, opt)
	_ = s.Close()
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660} {
		if err := os.Chmod(opt.KeyPath, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(opt); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("mode %04o: err %v, want forbidden", mode, err)
		}
	}
}

// TestOpen_NeverReplacesAMissingKey: a store whose key file is gone is
// refused, and its file is left as it was, not re-keyed.
func TestOpen_NeverReplacesAMissingKey(t *testing.T) {
	opt := paths(t)
	s := mustOpen(t, opt)
	if _, _, err := s.Put(plaintext); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	before, _ := os.ReadFile(opt.Path)
	if err := os.Remove(opt.KeyPath); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(opt); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("err %v, want not_found", err)
	}
	after, _ := os.ReadFile(opt.Path)
	if _, err := os.Stat(opt.KeyPath); err == nil || !bytes.Equal(before, after) {
		t.Fatal("Open made a new key or touched the store")
	}
}

// TestOpen_RefusesAnotherKeyAndDamage: the box is authenticated, so a wrong
// key or one flipped bit is an error, never garbage secrets.
func TestOpen_RefusesAnotherKeyAndDamage(t *testing.T) {
	opt := paths(t)
	s := mustOpen(t, opt)
	if _, _, err := s.Put(plaintext); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()

	b, _ := os.ReadFile(opt.Path)
	b[len(b)-1] ^= 1
	if err := os.WriteFile(opt.Path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(opt); domain.ErrorCode(err) != domain.CodeInternal {
		t.Fatalf("damaged: err %v", err)
	}
	b[len(b)-1] ^= 1
	if err := os.WriteFile(opt.Path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(opt.KeyPath, bytes.Repeat([]byte{7}, KeySize), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(opt); domain.ErrorCode(err) != domain.CodeInternal {
		t.Fatalf("another key: err %v", err)
	}
}

// TestOpen_OneProcessAtATime: a second Open of the same store is refused
// while the first holds it (a rewrite by either would drop the other's
// secrets), and allowed after Close.
func TestOpen_OneProcessAtATime(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	opt := paths(t)
	s := mustOpen(t, opt)
	if _, err := Open(opt); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("second Open: %v", err)
	}
	_ = s.Close()
	mustOpen(t, opt)
}

// TestStore_CrashSafeWrites: a write that fails leaves the store as it was,
// in memory and on disk; a temp file left by a crash is dropped at Open.
func TestStore_CrashSafeWrites(t *testing.T) {
	opt := paths(t)
	s := mustOpen(t, opt)
	id, _, err := s.Put("kept")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(opt.Path)

	// A directory where the temp file goes makes the write fail.
	if err := os.Mkdir(opt.Path+".tmp", 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(plaintext); domain.ErrorCode(err) != domain.CodeInternal {
		t.Fatalf("Put with a failing write: %v", err)
	}
	if err := s.Delete(id); domain.ErrorCode(err) != domain.CodeInternal {
		t.Fatalf("Delete with a failing write: %v", err)
	}
	if l := s.List(); len(l) != 1 || l[0].ID != id {
		t.Fatalf("memory changed by failed writes: %+v", l)
	}
	if after, _ := os.ReadFile(opt.Path); !bytes.Equal(before, after) {
		t.Fatal("the store file changed")
	}
	_ = s.Close()

	// A crash between write and rename leaves a temp file behind.
	if err := os.Remove(opt.Path + ".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(opt.Path+".tmp", []byte("half a write"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, opt)
	if got, err := s.Get(id); err != nil || got != "kept" {
		t.Fatalf("after a crash: %q, %v", got, err)
	}
	if _, err := os.Stat(opt.Path + ".tmp"); err == nil {
		t.Fatal("the unfinished write was left behind")
	}
}
