package projections

import bolt "go.etcd.io/bbolt"

// View runs read in one read-only transaction of db and returns its result:
// the one way callers outside the write path read a projection. Whatever
// read returns must not point into bbolt's pages (they are valid only inside
// the transaction); the projection readers here already copy.
func View[T any](db *bolt.DB, read func(*bolt.Tx) (T, error)) (T, error) {
	var out T
	err := db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = read(tx)
		return err
	})
	return out, err
}
