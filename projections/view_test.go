package projections_test

import (
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"warren/projections"
)

func TestView(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "v.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t.Run("OK", func(t *testing.T) {
		got, err := projections.View(db, func(tx *bolt.Tx) (int, error) { return 42, nil })
		if err != nil || got != 42 {
			t.Fatalf("View = %d, %v; want 42, nil", got, err)
		}
	})
	t.Run("ErrReturned", func(t *testing.T) {
		boom := errors.New("boom")
		got, err := projections.View(db, func(tx *bolt.Tx) (string, error) { return "partial", boom })
		if !errors.Is(err, boom) || got != "partial" {
			t.Fatalf("View = %q, %v; want the reader's result and error", got, err)
		}
	})
}
