//go:build !unix

package sealed

import "os"

// lockFile is a no-op where flock does not exist: one process per data
// directory is then the operator's promise.
func lockFile(*os.File) (bool, error) { return true, nil }
