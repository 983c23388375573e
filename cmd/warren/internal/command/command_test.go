package command

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testEnv() (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}, &out, &errb
}

func exitCode(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestSubcommand(t *testing.T) {
	ran := ""
	subs := Set{"a": {Summary: "the a", Run: func(_ context.Context, _ *Env, args []string) error {
		ran = "a " + strings.Join(args, " ")
		return nil
	}}}
	for _, c := range []struct {
		args []string
		code int
		ran  string
	}{
		{nil, 2, ""},
		{[]string{"help"}, 0, ""},
		{[]string{"b"}, 2, ""},
		{[]string{"a", "x"}, 0, "a x"},
	} {
		ran = ""
		e, _, _ := testEnv()
		if code := exitCode(Subs("t", subs)(context.Background(), e, c.args)); code != c.code || ran != c.ran {
			t.Errorf("%v: exit %d ran %q, want %d %q", c.args, code, ran, c.code, c.ran)
		}
	}
}

func TestWithSubs(t *testing.T) {
	ran := ""
	list := func(_ context.Context, _ *Env, args []string) error {
		ran = "list " + strings.Join(args, " ")
		return nil
	}
	subs := Set{"rm": {Run: func(_ context.Context, _ *Env, args []string) error {
		ran = "rm " + strings.Join(args, " ")
		return nil
	}}}
	for _, c := range []struct {
		args []string
		code int
		ran  string
	}{
		{nil, 0, "list "},
		{[]string{"--json"}, 0, "list --json"},
		{[]string{"rm", "x"}, 0, "rm x"},
		{[]string{"frob"}, 2, ""},
	} {
		ran = ""
		e, _, _ := testEnv()
		if code := exitCode(WithSubs("t", list, subs)(context.Background(), e, c.args)); code != c.code || ran != c.ran {
			t.Errorf("%v: exit %d ran %q, want %d %q", c.args, code, ran, c.code, c.ran)
		}
	}
}

func TestParseFlags(t *testing.T) {
	e, _, _ := testEnv()
	for _, c := range []struct {
		args []string
		code int
	}{{nil, 0}, {[]string{"--help"}, 0}, {[]string{"--nope"}, 2}, {[]string{"stray"}, 2}} {
		fs := NewFlagSet(e, "t", "t")
		err := ParseFlags(fs, c.args)
		if code := exitCode(err); code != c.code {
			t.Errorf("%v: exit %d, want %d", c.args, code, c.code)
		}
		if len(c.args) > 0 && c.args[0] == "--help" && err == nil {
			t.Errorf("--help: want an ExitError with code 0, so the command stops")
		}
	}
}
