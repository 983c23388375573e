package command

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// testSet is a small tree in the shape of warren's: a group, and a listing
// command with a subcommand; every command takes --level (env T_LEVEL).
func testSet(ran *string) Set {
	leaf := func(name string) Func {
		return func(_ context.Context, e *Env, args []string) error {
			fs := NewFlagSet(e, name, name+" [--level N]")
			level := fs.String("level", EnvDefault(e, "T_LEVEL", "1"), "how loud (env T_LEVEL)")
			if err := ParseFlags(fs, args); err != nil {
				return err
			}
			*ran = name + " level=" + *level
			return nil
		}
	}
	return Set{
		"grp":  {Summary: "a group", Subs: Set{"a": {Summary: "the a", Run: leaf("grp a")}}},
		"list": {Summary: "a list", Run: leaf("list"), Subs: Set{"rm": {Summary: "remove", Run: leaf("list rm")}}},
		"count": {Summary: "takes a number", Run: func(_ context.Context, e *Env, args []string) error {
			fs := NewFlagSet(e, "count", "count [--n N]")
			n := fs.Int("n", 1, "how many")
			if err := ParseFlags(fs, args); err != nil {
				return err
			}
			*ran = fmt.Sprint("count n=", *n)
			return nil
		}},
	}
}

func runTree(args []string, env map[string]string) (code int, ran, stdout, stderr string) {
	var out, errb bytes.Buffer
	e := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code = Execute(context.Background(), e, Root(e, testSet(&ran), "warren test"), args)
	return code, ran, out.String(), errb.String()
}

// The tree dispatches like the hand-written one did: usage errors exit 2
// with usage on stderr, asked-for help exits 0, commands get their flags
// (single-dash ones and env twins included) and parse them themselves.
func TestTreeDispatchesLikeBefore(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		code int
		ran  string
		out  string // in stdout with exit 0, else in stderr
	}{
		{nil, nil, 2, "", "usage: warren COMMAND"},
		{[]string{"help"}, nil, 0, "", "usage: warren COMMAND"},
		{[]string{"--help"}, nil, 0, "", "commands:"},
		{[]string{"frob"}, nil, 2, "", `unknown command "frob"`},
		{[]string{"grp"}, nil, 2, "", "missing subcommand"},
		{[]string{"grp", "zz"}, nil, 2, "", `unknown subcommand "zz"`},
		{[]string{"grp", "--help"}, nil, 0, "", "usage: warren grp SUBCOMMAND"},
		{[]string{"grp", "help"}, nil, 0, "", "usage: warren grp SUBCOMMAND"},
		{[]string{"grp", "a"}, nil, 0, "grp a level=1", ""},
		{[]string{"grp", "a", "-level", "3"}, nil, 0, "grp a level=3", ""},
		{[]string{"grp", "a", "--level=4"}, map[string]string{"T_LEVEL": "7"}, 0, "grp a level=4", ""},
		{[]string{"grp", "a"}, map[string]string{"T_LEVEL": "7"}, 0, "grp a level=7", ""},
		{[]string{"grp", "a", "--nope"}, nil, 2, "", "flag provided but not defined"},
		{[]string{"list"}, nil, 0, "list level=1", ""},
		{[]string{"list", "--level", "2"}, nil, 0, "list level=2", ""},
		{[]string{"list", "rm", "--level", "5"}, nil, 0, "list rm level=5", ""},
		{[]string{"list", "frob"}, nil, 2, "", `unknown subcommand "frob"`},
		{[]string{"version"}, nil, 0, "", "warren test"},
		{[]string{"--version"}, nil, 0, "", "warren test"},
	} {
		code, ran, stdout, stderr := runTree(c.args, c.env)
		out := stderr
		if c.code == 0 {
			out = stdout
		}
		if code != c.code || ran != c.ran || !strings.Contains(out, c.out) {
			t.Errorf("%q: exit %d ran %q, want %d %q with %q\nstdout: %s\nstderr: %s", c.args, code, ran, c.code, c.ran, c.out, stdout, stderr)
		}
	}
}

// A command's help, by `help CMD` or `CMD --help`, lists the flags the
// command declared with their env twins.
func TestCommandHelpListsItsFlags(t *testing.T) {
	for _, args := range [][]string{{"help", "grp", "a"}, {"grp", "a", "--help"}, {"list", "rm", "-h"}, {"list", "--level", "2", "-help"}} {
		code, ran, stdout, stderr := runTree(args, nil)
		if code != 0 || !strings.Contains(stdout, "--level") || !strings.Contains(stdout, "env T_LEVEL") || ran != "" || stderr != "" {
			t.Errorf("%q: exit %d, ran %q, stdout %q, stderr %q: want --level and its env twin on stdout, nothing run", args, code, ran, stdout, stderr)
		}
	}
}
