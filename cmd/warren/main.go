// Command warren is Warren's one binary: the server (serve), its offline
// tools (admin, events, rebuild, backup) and the client (http, tcp, requests…).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"syscall"
)

// env is what a command may touch of the process, so tests can run commands
// in-process with their own streams and environment.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command is one `warren NAME` subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// exitError carries a specific exit code (e.g. 1 from `events verify`).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func commands() map[string]command {
	all := map[string]command{}
	for _, group := range []map[string]command{serverCommands(), apiCommands(), agentCommands()} {
		for name, c := range group {
			all[name] = c
		}
	}
	return all
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	// WARREN_CPUPROFILE=FILE profiles the command until it ends (a server:
	// until SIGTERM or Ctrl-C), for performance reports.
	if path := os.Getenv("WARREN_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			code := run(ctx, e, os.Args[1:])
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
		fmt.Fprintf(os.Stderr, "warren: cannot profile to %s\n", path)
	}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run dispatches to a subcommand and turns its error into an exit code.
func run(ctx context.Context, e *env, args []string) int {
	cmds := commands()
	if len(args) == 0 {
		usage(e.stderr, cmds)
		return 2
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout, cmds)
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "warren: unknown command %q\n\n", args[0])
		usage(e.stderr, cmds)
		return 2
	}
	if err := c.run(ctx, e, args[1:]); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil {
				fmt.Fprintf(e.stderr, "warren %s: %v\n", args[0], ee.err)
			}
			return ee.code
		}
		fmt.Fprintf(e.stderr, "warren %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: warren COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, cmds[n].summary)
	}
}
