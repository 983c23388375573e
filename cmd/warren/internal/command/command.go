// Package command is the plumbing every `warren` subcommand shares: the
// process streams it may touch, the command type, exit codes and flag
// helpers. The command tree itself is cmd/warren/main.go.
package command

import (
	"context"
	"io"
)

// Env is what a command may touch of the process, so tests can run commands
// in-process with their own streams and environment.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// Func runs one command with its arguments (after its name).
type Func func(ctx context.Context, e *Env, args []string) error

// Command is one `warren NAME` subcommand.
type Command struct {
	Summary string
	Run     Func
}

// Set is commands by name.
type Set map[string]Command

// ExitError carries a specific exit code (e.g. 1 from `events verify`, 2
// for a bad command line). Err nil: exit silently with Code.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return "exit status"
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *ExitError) Unwrap() error { return e.Err }
