package events_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
)

// fullDiskChildEnv switches the test binary into fullDiskChild.
const fullDiskChildEnv = "WARREN_EVENTS_FULL_DISK_CHILD"

// fullDiskChild appends to the log at path while the process may not grow
// the file (RLIMIT_FSIZE: writes past it fail with EFBIG, as on a full
// disk), then lifts the limit. It prints what Writable said at each step
// and exits 0 when the log said it could not write exactly while it could
// not. A child of its own, because the limit holds for the whole process.
func fullDiskChild(path string) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		return 1
	}
	signal.Ignore(syscall.SIGXFSZ) // EFBIG instead of being killed
	l, err := events.Open(path, events.Options{})
	if err != nil {
		return fail("open: %v", err)
	}
	defer l.Close()
	appendBody := func(i int) error {
		body := make([]byte, 64<<10) // random: zstd cannot shrink it
		rand.Read(body)
		_, err := l.Append(context.Background(), events.Draft{Type: events.ReservationCreated, Account: "acc_full",
			Data: events.ReservationData{Subdomain: fmt.Sprintf("full-%d", i)}, Bodies: [][]byte{body}})
		return err
	}
	if err := appendBody(0); err != nil {
		return fail("first append: %v", err)
	}
	if err := l.Writable(); err != nil {
		return fail("writable before the disk filled: %v", err)
	}
	// The file may not grow past the pages in use: new pages cannot be written.
	var used int64
	if err := l.DB().View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }); err != nil {
		return fail("size: %v", err)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		return fail("getrlimit: %v", err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(used), Max: old.Max}); err != nil {
		return fail("setrlimit: %v", err)
	}
	var appendErr error
	for i := 1; i < 50 && appendErr == nil; i++ {
		appendErr = appendBody(i)
	}
	if appendErr == nil {
		return fail("no append failed with the file limited to %d bytes", used)
	}
	werr := l.Writable()
	if werr == nil {
		return fail("Writable() is nil while appends fail with %v", appendErr)
	}
	if domain.ErrorCode(werr) != domain.CodeUnavailable {
		return fail("Writable() = %v, want code unavailable", werr)
	}
	fmt.Println("while full:", werr)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		return fail("setrlimit: %v", err)
	}
	if err := appendBody(100); err != nil {
		return fail("append once space is back: %v", err)
	}
	if err := l.Writable(); err != nil {
		return fail("Writable() still %v after a successful commit", err)
	}
	return 0
}

// TestLogSaysWhenItCannotWrite: while commits fail (the disk is full)
// Writable returns the write error, and the next successful commit clears it.
func TestLogSaysWhenItCannotWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warren.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fullDiskChildEnv+"=1", crashDBEnv+"="+path)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("child: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Log(strings.TrimSpace(stdout.String()))
	// Failed commits left nothing half written.
	logtest.Check(t, path)
}
