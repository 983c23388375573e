//go:build unix

package events

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// sharedLock takes a shared flock on f, as a read-only bbolt does, waiting
// up to timeout for a writer holding it to let go: the meta pages are read
// only while no other process may be writing them. It returns false when the
// lock stayed held.
func sharedLock(f *os.File, timeout time.Duration) (bool, error) {
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return false, err
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}
