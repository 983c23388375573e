//go:build !unix

package events

import (
	"os"
	"time"
)

// sharedLock is a no-op where flock does not exist: bbolt's own lock still
// guards the file once it opens it.
func sharedLock(*os.File, time.Duration) (bool, error) { return true, nil }
