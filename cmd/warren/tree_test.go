package main

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/warrentest"
)

// runIn runs the real tree in-process, with no environment.
func runIn(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	e := &command.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

// walk calls f on every command of the real tree below the root.
func walk(t *testing.T, f func(c *cobra.Command)) {
	e := &command.Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			f(s)
			visit(s)
		}
	}
	visit(command.Root(e, commands(), "v"))
}

// Every command says what it does in one line, and `warren help` lists
// every command of the tree, subcommands included.
func TestEveryCommandHasShortHelp(t *testing.T) {
	code, help, _ := runIn("help")
	if code != 0 {
		t.Fatalf("warren help: exit %d", code)
	}
	n := 0
	walk(t, func(c *cobra.Command) {
		n++
		if strings.TrimSpace(c.Short) == "" {
			t.Errorf("%s has no short help", c.CommandPath())
		}
		if !strings.Contains(help, "  "+c.Name()+" ") {
			t.Errorf("warren help does not list %s:\n%s", c.CommandPath(), help)
		}
	})
	if n < 30 {
		t.Errorf("walked %d commands; the tree has more than 30", n)
	}
}

// `warren help CMD` and `warren CMD --help` list every flag the command
// takes, with its env twin where it has one (serve's WARREN_* among them).
func TestHelpListsEveryCommandsFlags(t *testing.T) {
	walk(t, func(c *cobra.Command) {
		if !c.Runnable() || c.Name() == "completion" || c.Name() == "help" {
			return
		}
		path := strings.Fields(c.CommandPath())[1:]
		_, helpOut, _ := runIn(append([]string{"help"}, path...)...)
		_, stdout, stderr := runIn(append(path, "--help")...)
		c.Flags().VisitAll(func(f *pflag.Flag) {
			for _, h := range []string{helpOut, stdout + stderr} {
				if !strings.Contains(h, "--"+f.Name) {
					t.Errorf("help of %s lacks --%s:\n%s", c.CommandPath(), f.Name, h)
					return
				}
			}
		})
	})
	_, serve, _ := runIn("help", "serve")
	for _, want := range []string{"--addr", "env WARREN_ADDR", "--data", "env WARREN_DATA", "--tls-cert", "--metrics-addr"} {
		if !strings.Contains(serve, want) {
			t.Errorf("warren help serve lacks %q:\n%s", want, serve)
		}
	}
}

// `warren completion bash|zsh|fish` prints a script for each shell, and
// the completion it drives knows commands and each command's flags.
func TestCompletionScriptsGenerate(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash": "complete -o default -F __start_warren warren",
		"zsh":  "#compdef warren",
		"fish": "complete -c warren",
	} {
		code, out, errOut := runIn("completion", shell)
		if code != 0 || !strings.Contains(out, marker) {
			t.Errorf("warren completion %s: exit %d, want a script with %q\nstderr: %s", shell, code, marker, errOut)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "req"}, "requests"},
		{[]string{"__complete", "requests", "ex"}, "export"},
		{[]string{"__complete", "http", "--sub"}, "--subdomain"},
		{[]string{"__complete", "serve", "--tls-"}, "--tls-cert"},
	} {
		if _, out, _ := runIn(c.args...); !strings.Contains(out, c.want) {
			t.Errorf("warren %q: want %q among\n%s", c.args, c.want, out)
		}
	}
}

// `warren version` and `warren --version` print the same line, from the
// binary's build info: the module version and the Go version it was built
// with (the commit too, when built with VCS stamping).
func TestVersionCommandAndFlag(t *testing.T) {
	v := warrentest.Run(t, nil, "version")
	f := warrentest.Run(t, nil, "--version")
	if v.Code != 0 || f.Code != 0 || v.Stdout != f.Stdout {
		t.Fatalf("version: exit %d %q; --version: exit %d %q: want the same line, exit 0", v.Code, v.Stdout, f.Code, f.Stdout)
	}
	if !strings.HasPrefix(v.Stdout, "warren ") || !strings.Contains(v.Stdout, runtime.Version()) || !strings.Contains(v.Stdout, "commit") {
		t.Errorf("version %q: want `warren VERSION (commit …) %s`", v.Stdout, runtime.Version())
	}
}
