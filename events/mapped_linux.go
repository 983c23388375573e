//go:build linux

package events

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// DropMapped tells the kernel that this process is done with the pages of
// tx's file it has read through bbolt's read-only shared mapping, so they
// leave its resident set; they stay in the page cache, and a later read
// faults them back in unchanged. Without it a walk of the whole log
// (verify, rebuild) grows RSS to the size of the file. The mapping cannot
// move while tx is open, and tx.Size (the pages in use) lies inside it,
// whereas the file can be longer than the mapping (bbolt grows the file
// ahead), and advice past the mapping could reach the next one.
func DropMapped(tx *bolt.Tx) {
	// Advice only: an error leaves the pages resident, nothing more.
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, tx.DB().Info().Data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
}
