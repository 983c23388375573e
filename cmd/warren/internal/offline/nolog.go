package offline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server"
)

// requireLog refuses a data directory with no event log (exit 1, as any
// failure: the flags parsed, the directory is wrong), naming
// the absolute path looked at, before anything is opened or created there:
// run from the wrong directory, an offline command would otherwise make an
// empty log beside the server's and, for `admin account create`, print a
// key that works nowhere. online adds the --server way out for commands
// that have it. Only `serve` (and `admin account create --init`) create a
// data directory.
func requireLog(data string, online bool) error {
	path := server.DBPath(data)
	_, err := os.Stat(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return nil // there, or unreadable: opening it says why
	}
	if abs, aerr := filepath.Abs(path); aerr == nil {
		path = abs
	}
	way := "pass the server's data directory with --data DIR (or WARREN_DATA)"
	if online {
		way += ", or reach the running server with --server URL"
	}
	return &command.ExitError{Code: 1, Err: fmt.Errorf("no event log at %s: this is not a Warren data directory, and nothing was created there; %s", path, way)}
}
