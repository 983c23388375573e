package command

import (
	"bytes"
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
