// Package command is the plumbing every `warren` subcommand shares: the
// process streams it may touch, the command type, exit codes and flag
// helpers. The command tree itself is cmd/warren/main.go.
package command

import (
	"context"
	"flag"
	"io"
)

// Env is what a command may touch of the process, so tests can run commands
// in-process with their own streams and environment.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string

	// Set by the tree (tree.go): usage prints the command's help (cobra's,
	// listing the flags the command declared); describe, when set, is told
	// each FlagSet made with NewFlagSet and its usage line.
	usage    func(io.Writer)
	describe func(fs *flag.FlagSet, usage string)
}

// Func runs one command with its arguments (after its name).
type Func func(ctx context.Context, e *Env, args []string) error

// Command is one `warren NAME` command. Run runs it with its arguments
// after its name, flags included (it parses them with NewFlagSet and
// ParseFlags); Subs are its subcommands. A command with Subs and no Run
// only groups them; with both, Run runs when no subcommand is named.
type Command struct {
	Summary string
	Run     Func
	Subs    Set
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
