package command

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// writeHelp prints cmd's help: its usage line(s), what it does, its
// subcommands (the root lists the whole tree, so one `warren help` shows
// every command) and every flag with its default and env twin.
func writeHelp(w io.Writer, cmd *cobra.Command) {
	usage := cmd.Annotations[usageKey]
	switch {
	case usage != "":
		fmt.Fprintf(w, "usage: warren %s\n", usage)
	case !cmd.HasParent():
		fmt.Fprintf(w, "usage: warren COMMAND [flags]\n")
	case !cmd.HasAvailableSubCommands():
		fmt.Fprintf(w, "usage: %s\n", cmd.CommandPath())
	default:
		fmt.Fprintf(w, "usage: %s SUBCOMMAND [flags]\n", cmd.CommandPath())
	}
	if cmd.Short != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.Short)
	}
	if cmd.HasAvailableSubCommands() {
		if cmd.HasParent() {
			fmt.Fprintf(w, "\nsubcommands:\n")
		} else {
			fmt.Fprintf(w, "\ncommands:\n")
		}
		writeTree(w, cmd, "  ")
	}
	if fs := visibleFlags(cmd); fs.HasAvailableFlags() {
		fmt.Fprintf(w, "\nflags:\n%s", fs.FlagUsages())
	}
	if !cmd.HasParent() {
		fmt.Fprintf(w, "\nRun `warren help COMMAND` (or `warren COMMAND --help`) for a command's flags;\n`warren completion bash|zsh|fish` prints a shell completion script.\n")
	}
}

// writeTree lists cmd's subcommands, and theirs indented below them.
func writeTree(w io.Writer, cmd *cobra.Command, indent string) {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() && c.Name() != "help" {
			continue
		}
		fmt.Fprintf(w, "%s%-*s %s\n", indent, max(1, 18-len(indent)), c.Name(), c.Short)
		if c.HasAvailableSubCommands() {
			writeTree(w, c, indent+"  ")
		}
	}
}

// visibleFlags are cmd's own flags and those it inherits, without cobra's
// --help (every command takes it, so listing it says nothing).
func visibleFlags(cmd *cobra.Command) *pflag.FlagSet {
	fs := pflag.NewFlagSet(cmd.Name(), pflag.ContinueOnError)
	add := func(f *pflag.Flag) {
		if f.Name != "help" && !f.Hidden && fs.Lookup(f.Name) == nil {
			fs.AddFlag(f)
		}
	}
	cmd.NonInheritedFlags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
	return fs
}
