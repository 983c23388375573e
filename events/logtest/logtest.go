// Package logtest opens event logs for tests and checks them when the test
// ends, as bbolt's own btesting does: a test that corrupts the file or forks
// the hash chain fails where it happens, not in a later test or in
// production.
package logtest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/events"
)

// Open opens a log at a fresh path under tb.TempDir() and returns it with
// its path. At cleanup it closes the log and checks the file (see Check).
func Open(tb testing.TB, opts events.Options) (*events.Log, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "warren.db")
	return OpenAt(tb, path, opts), path
}

// OpenAt opens the log at path (creating it when missing). At cleanup it
// closes the log, then checks the file. A test that corrupts a file on
// purpose opens it with events.Open instead.
func OpenAt(tb testing.TB, path string, opts events.Options) *events.Log {
	tb.Helper()
	l, err := events.Open(path, opts)
	if err != nil {
		tb.Fatal(err)
	}
	// Cleanups run last-registered first: the check after the close.
	tb.Cleanup(func() { Check(tb, path) })
	tb.Cleanup(func() {
		if err := l.Close(); err != nil && !errors.Is(err, bolt.ErrDatabaseNotOpen) {
			tb.Errorf("closing %s: %v", path, err)
		}
	})
	return l
}

// Check runs bbolt's consistency check on the closed file at path (every
// page reachable once, no page both free and used) and the chain
// verification `warren events verify` runs (every event decodes, ids
// increase, each prev is the hash of the one before, the head matches). It
// reports each problem with tb.Errorf. A missing file is fine.
func Check(tb testing.TB, path string) {
	tb.Helper()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		tb.Errorf("logtest: %s: cannot open for the consistency check (still open?): %v", path, err)
		return
	}
	var problems []error
	err = db.View(func(tx *bolt.Tx) error {
		// Drained to the end: Check's goroutine stops only then.
		for err := range tx.Check() {
			problems = append(problems, err)
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		problems = append(problems, err)
	}
	for i, p := range problems {
		if i == 10 {
			tb.Errorf("logtest: %s: %d more bbolt problems", path, len(problems)-i)
			break
		}
		tb.Errorf("logtest: %s: bbolt consistency: %v", path, p)
	}
	if len(problems) > 0 {
		return
	}
	l, err := events.Open(path, events.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		tb.Errorf("logtest: %s: %v", path, err)
		return
	}
	defer l.Close()
	if _, err := l.Verify(nil); err != nil {
		tb.Errorf("logtest: %s: the hash chain does not verify: %v", path, err)
	}
}
