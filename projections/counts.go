package projections

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// bCounts keeps, per account, how many items each quota-checked index holds,
// so a command that checks a plan limit reads one key instead of counting the
// account's index in its write transaction: a create stays as cheap at 100k
// reservations as at one (issue 15, item 5). Appliers keep it in step with
// the indexes (addIndexed, dropIndexed), so rebuild gives the same bucket.
var bCounts = []byte("p_counts") // acc 0 kind → count (uint64, big-endian); absent when 0

// Count kinds, one per quota the commands check.
const (
	countReservedSubs  = "res_sub"     // p_reservations_acc entries that name a subdomain
	countReservedPorts = "res_port"    // … that name a TCP port
	countDomains       = "domains"     // p_domains_account entries
	countLiveTunnels   = "tunnels"     // p_tunnels_live_acc entries
	countLiveTCP       = "tunnels_tcp" // … of TCP tunnels
)

// accountCount returns the account's count of kind.
func accountCount(tx *bolt.Tx, accountID, kind string) int64 {
	v := tx.Bucket(bCounts).Get(key([]byte(accountID), []byte(kind)))
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// addCount moves the account's count of kind by delta, deleting it at 0 so
// an account that holds nothing leaves no key.
func addCount(tx *bolt.Tx, accountID, kind string, delta int64) error {
	b := tx.Bucket(bCounts)
	k := key([]byte(accountID), []byte(kind))
	var n int64
	if v := b.Get(k); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	if n += delta; n <= 0 {
		return b.Delete(k)
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(n))
	return b.Put(k, buf[:])
}

// addIndexed puts k in the account index b and, when k was not there yet,
// counts it under each kind: the counts equal the index whatever the log
// holds (a repeated event does not count twice).
func addIndexed(tx *bolt.Tx, b []byte, k, v []byte, accountID string, kinds ...string) error {
	bk := tx.Bucket(b)
	fresh := bk.Get(k) == nil
	if err := bk.Put(k, v); err != nil || !fresh {
		return err
	}
	for _, kind := range kinds {
		if err := addCount(tx, accountID, kind, 1); err != nil {
			return err
		}
	}
	return nil
}

// dropIndexed deletes k from the account index b and, when it was there,
// uncounts it under each kind.
func dropIndexed(tx *bolt.Tx, b []byte, k []byte, accountID string, kinds ...string) error {
	bk := tx.Bucket(b)
	if bk.Get(k) == nil {
		return nil
	}
	if err := bk.Delete(k); err != nil {
		return err
	}
	for _, kind := range kinds {
		if err := addCount(tx, accountID, kind, -1); err != nil {
			return err
		}
	}
	return nil
}

// reservationKinds is the count kind of a reservation name.
func reservationKind(name string) string {
	if isPortName(name) {
		return countReservedPorts
	}
	return countReservedSubs
}
