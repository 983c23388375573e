//go:build linux

package projections

import (
	"os"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// dropMapped tells the kernel that rebuild is done with the pages of db's
// file it has read through bbolt's read-only shared mapping, so they leave
// this process's resident set; they stay in the page cache, and a later
// read faults them back in unchanged. Without it a rebuild's RSS grows to
// the size of the file. Call it only between write transactions, on the
// goroutine that runs them: only a commit remaps the file, so the mapping
// cannot move meanwhile.
func dropMapped(db *bolt.DB) {
	st, err := os.Stat(db.Path())
	if err != nil || st.Size() == 0 {
		return
	}
	// Advice only: an error leaves the pages resident, nothing more.
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, db.Info().Data, uintptr(st.Size()), syscall.MADV_DONTNEED)
}
