package command

import (
	"strings"
	"testing"
)

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// A bad flag ends, like every other usage error, with `warren CMD: what`
// after the usage (not before it, where a long flag list scrolls it away),
// and names the flag as help spells it, with two dashes.
func TestBadFlagIsReportedLastNamedAfterTheCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"grp", "a", "--nope"}, "warren grp a: flag provided but not defined: --nope"},
		{[]string{"list", "--level"}, "warren list: flag needs an argument: --level"},
		{[]string{"count", "--n", "x"}, `warren count: invalid value "x" for flag --n: not a valid int`},
	} {
		code, ran, _, stderr := runTree(c.args, nil)
		if code != 2 || ran != "" || lastLine(stderr) != c.want || !strings.HasPrefix(stderr, "usage: ") {
			t.Errorf("%q: exit %d, ran %q, stderr:\n%s\nwant exit 2, usage first and last line %q", c.args, code, ran, stderr, c.want)
		}
	}
}

// `warren help frob` is a usage error, as `warren frob` is, not the root
// help with exit 0.
func TestHelpOnAnUnknownCommandFails(t *testing.T) {
	code, _, stdout, stderr := runTree([]string{"help", "frob"}, nil)
	if code != 2 || !strings.Contains(lastLine(stderr), `unknown command "frob"`) || stdout != "" {
		t.Errorf("help frob: exit %d\nstdout: %s\nstderr: %s\nwant exit 2 and unknown command on stderr", code, stdout, stderr)
	}
}

// `warren completion tcsh` names the shells it knows and exits 2, instead
// of printing help and exiting 0 (a script piping it to a file would
// install the help text as a completion script).
func TestCompletionForAnUnknownShellFails(t *testing.T) {
	for _, args := range [][]string{{"completion", "tcsh"}, {"completion"}} {
		code, _, stdout, stderr := runTree(args, nil)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "bash") {
			t.Errorf("%q: exit %d\nstdout: %s\nstderr: %s\nwant exit 2, nothing on stdout", args, code, stdout, stderr)
		}
	}
}

// `warren version --help` shows `usage: warren version`: it has no
// subcommands to promise.
func TestVersionHelpPromisesNoSubcommand(t *testing.T) {
	code, _, stdout, _ := runTree([]string{"version", "--help"}, nil)
	if code != 0 || !strings.HasPrefix(stdout, "usage: warren version\n") {
		t.Errorf("version --help: exit %d, stdout:\n%s", code, stdout)
	}
}
