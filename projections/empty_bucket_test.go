package projections

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// emptyBucket deletes walking back with one cursor across several
// transactions; every key must go, whatever the leaves' boundaries.
func TestEmptyBucketDeletesEveryKeyAcrossBatches(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "e.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := []byte("p_test")
	const keys = 2*dropBatch + 777
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(name)
		if err != nil {
			return err
		}
		for i := range uint64(keys) {
			if err := b.Put(binary.BigEndian.AppendUint64([]byte("acc_1"), i), make([]byte, 100)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := emptyBucket(db, name); err != nil {
		t.Fatal(err)
	}
	left, err := View(db, func(tx *bolt.Tx) (int, error) { return tx.Bucket(name).Stats().KeyN, nil })
	if err != nil || left != 0 {
		t.Fatalf("%d keys left of %d (%v)", left, keys, err)
	}
}
