package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// Subcommand dispatches `warren NAME SUB …` to subs by hand. The tree in
// main.go says subcommands with Command.Subs instead, which cobra lists in
// help and completes; Subs and WithSubs stay for a command that dispatches
// inside its own Run.
func Subcommand(ctx context.Context, e *Env, name string, subs Set, args []string) error {
	if len(args) == 0 {
		SubUsage(e.Stderr, name, subs)
		return &ExitError{Code: 2, Err: errors.New("missing subcommand")}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		SubUsage(e.Stdout, name, subs)
		return nil
	}
	c, ok := subs[args[0]]
	if !ok {
		SubUsage(e.Stderr, name, subs)
		return &ExitError{Code: 2, Err: fmt.Errorf("unknown subcommand %q", args[0])}
	}
	return c.Run(ctx, e, args[1:])
}

// Subs is Subcommand as a Func: `warren NAME SUB …` with no default.
func Subs(name string, subs Set) Func {
	return func(ctx context.Context, e *Env, args []string) error {
		return Subcommand(ctx, e, name, subs, args)
	}
}

// WithSubs runs list for `warren NAME [flags]` and a subcommand for
// `warren NAME SUB …`.
func WithSubs(name string, list Func, subs Set) Func {
	return func(ctx context.Context, e *Env, args []string) error {
		if len(args) > 0 {
			if args[0] == "help" {
				SubUsage(e.Stdout, name, subs)
				return nil
			}
			if c, ok := subs[args[0]]; ok {
				return c.Run(ctx, e, args[1:])
			}
			if args[0] != "" && args[0][0] != '-' {
				SubUsage(e.Stderr, name, subs)
				return &ExitError{Code: 2, Err: fmt.Errorf("unknown subcommand %q", args[0])}
			}
		}
		return list(ctx, e, args)
	}
}

// SubUsage lists subs under `usage: warren NAME SUBCOMMAND`.
func SubUsage(w io.Writer, name string, subs Set) {
	fmt.Fprintf(w, "usage: warren %s SUBCOMMAND [flags]\n\nsubcommands:\n", name)
	for _, n := range slices.Sorted(maps.Keys(subs)) {
		fmt.Fprintf(w, "  %-10s %s\n", n, subs[n].Summary)
	}
}
