package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// Root builds the cobra tree of set. Cobra owns the tree: finding the
// command, `help`, `--help` on groups, `--version`, `completion
// bash|zsh|fish` and the completion of command and flag names. Each command
// with a Run still declares and parses its own flags on a stdlib FlagSet,
// exactly as before (single-dash flags, env twins, exit codes): cobra
// learns them from a describing pass (see describe) and hands the command
// its arguments unparsed, as Helm does for its plugins.
func Root(e *Env, set Set, version string) *cobra.Command {
	root := &cobra.Command{
		Use:     "warren",
		Short:   "Warren: self-hosted tunnels with every request captured, inspectable and replayable",
		Version: version,
		Args:    cobra.ArbitraryArgs,
		// Errors and usage are printed once, by Execute, with the exit code.
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError(cmd, fmt.Errorf("unknown command %q", args[0]))
			}
			return usageError(cmd, nil)
		},
	}
	root.SetIn(e.Stdin)
	root.SetOut(e.Stdout)
	root.SetErr(e.Stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetHelpFunc(func(c *cobra.Command, _ []string) { writeHelp(c.OutOrStdout(), c) })
	root.SetUsageFunc(func(c *cobra.Command) error { writeHelp(c.ErrOrStderr(), c); return nil })
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError(c, err) })
	for _, n := range slices.Sorted(maps.Keys(set)) {
		root.AddCommand(build(e, n, set[n]))
	}
	root.AddCommand(versionCommand(version))
	// Cobra's own commands, made now so that they read like ours in help.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Short = "help about any command: warren help COMMAND [SUBCOMMAND]"
			c.Run, c.RunE = nil, helpRun(root)
		case "completion":
			c.Short = "print a shell completion script: warren completion bash|zsh|fish|powershell"
			for _, sh := range c.Commands() {
				sh.Short = "print the completion script for " + sh.Name()
			}
			// Without a known shell: a usage error, not help and exit 0
			// (which `> warren.bash` would install as a script).
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if len(args) == 0 {
					return usageError(cmd, errors.New("missing shell: bash, zsh, fish or powershell"))
				}
				return usageError(cmd, fmt.Errorf("unknown shell %q: bash, zsh, fish or powershell", args[0]))
			}
		}
	}
	return root
}

// build makes the cobra command for c and its subcommands.
func build(e *Env, name string, c Command) *cobra.Command {
	cc := &cobra.Command{Use: name, Short: c.Summary, Args: cobra.ArbitraryArgs, Annotations: map[string]string{}}
	for _, n := range slices.Sorted(maps.Keys(c.Subs)) {
		cc.AddCommand(build(e, n, c.Subs[n]))
	}
	if c.Run == nil {
		// A group: `warren admin` alone or with a wrong word is a usage error.
		cc.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError(cmd, errors.New("missing subcommand"))
			}
			if args[0] == "help" {
				return cmd.Help()
			}
			return usageError(cmd, fmt.Errorf("unknown subcommand %q", args[0]))
		}
		return cc
	}
	usage, fs := describe(e, c.Run)
	cc.Annotations[usageKey] = usage
	if fs != nil {
		cc.Flags().AddGoFlagSet(fs)
	}
	// The command parses its flags itself, --help included.
	cc.DisableFlagParsing = true
	cc.RunE = func(cmd *cobra.Command, args []string) error {
		if asksHelp(args) {
			// What the command would print on --help, but on stdout as
			// cobra's help is (the flag package writes it to stderr).
			return cmd.Help()
		}
		if len(c.Subs) > 0 && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			if args[0] == "help" {
				return cmd.Help()
			}
			return usageError(cmd, fmt.Errorf("unknown subcommand %q", args[0]))
		}
		ce := *e
		ce.usage = func(w io.Writer) { writeHelp(w, cmd) }
		if err := c.Run(cmd.Context(), &ce, args); err != nil {
			var ee *ExitError
			if errors.As(err, &ee) {
				return err
			}
			return &ExitError{Code: 1, Err: err}
		}
		return nil
	}
	return cc
}

// asksHelp: -h, -help or --help among args before a "--", which every
// command answers with its usage and nothing else.
func asksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// usageKey annotates a command with the usage line(s) it declared.
const usageKey = "warren-usage"

// errDescribed is what describe hands a command's run instead of ctx work.
var errDescribed = errors.New("described")

// describe learns what a command declares (its usage line and FlagSet) by
// running it on `--help` with streams that go nowhere and a context that is
// already done: every command makes its FlagSet first with NewFlagSet (which
// reports it) and stops at --help before any work.
func describe(e *Env, run Func) (usage string, fs *flag.FlagSet) {
	d := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: e.Getenv}
	d.describe = func(f *flag.FlagSet, u string) {
		if fs == nil { // the command's own FlagSet, not a helper's
			fs, usage = f, u
		}
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errDescribed)
	_ = run(ctx, d, []string{"--help"})
	return usage, fs
}

// usageError prints cmd's usage and err to stderr, and exits 2.
func usageError(cmd *cobra.Command, err error) error {
	writeHelp(cmd.ErrOrStderr(), cmd)
	return &ExitError{Code: 2, Err: err}
}

// Execute runs the tree on args and returns the process's exit code,
// printing a failure as `warren CMD: error` on stderr.
func Execute(ctx context.Context, e *Env, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if !errors.As(err, &ee) {
		// Cobra's own refusal (a flag of a group, a help topic): a usage error.
		ee = &ExitError{Code: 2, Err: err}
	}
	if ee.Err != nil {
		fmt.Fprintf(e.Stderr, "%s: %v\n", cmd.CommandPath(), ee.Err)
	}
	return ee.Code
}

// helpRun is `warren help [COMMAND…]`: the named command's help, or a
// usage error for a name that is no command (cobra's own prints the root
// help and exits 0).
func helpRun(root *cobra.Command) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error {
		target, rest, err := root.Find(args)
		if err != nil {
			return usageError(root, err)
		}
		if len(rest) > 0 {
			if target == root {
				return usageError(root, fmt.Errorf("unknown command %q", rest[0]))
			}
			return usageError(target, fmt.Errorf("unknown subcommand %q", rest[0]))
		}
		return target.Help()
	}
}

// versionCommand is `warren version`: the same line as `warren --version`.
func versionCommand(version string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version: module version, VCS commit (+dirty) and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), version)
			return err
		},
	}
}
