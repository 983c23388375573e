package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/httpapi/client"
)

// parseArgs parses fs's flags wherever they appear among the positional
// arguments (`warren domains add example.com --json`) and returns the
// positionals.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &command.ExitError{Code: 0}
			}
			return nil, &command.ExitError{Code: 2}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// wantArgs fails with a usage error unless exactly n positionals were given.
func wantArgs(fs *flag.FlagSet, pos []string, n int, what string) error {
	if len(pos) == n {
		return nil
	}
	fs.Usage()
	if len(pos) < n {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("missing %s", what)}
	}
	return &command.ExitError{Code: 2, Err: fmt.Errorf("unexpected argument %q", pos[n])}
}

// writeJSON prints v indented, for scripts (--json).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints aligned columns for people.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	// A key/value table has no titles: no header line of blanks then.
	if strings.TrimSpace(strings.Join(header, "")) != "" {
		t.row(header...)
	}
	return t
}

func (t *table) row(cols ...string) { fmt.Fprintln(t.tw, strings.Join(cols, "\t")) }

func (t *table) flush() error { return t.tw.Flush() }

// when formats a timestamp for a table (UTC, to the second); zero is "-".
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func whenPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return when(*t)
}

// count renders a limit: nil is unlimited.
func count(n *int64) string {
	if n == nil {
		return "unlimited"
	}
	return strconv.FormatInt(*n, 10)
}

// byteSize renders a byte count for people (1.5 MiB); nil is unlimited.
func byteSize(n *int64) string {
	if n == nil {
		return "unlimited"
	}
	return humanBytes(*n)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// apiError makes an API failure readable, adding a hint for a bad key.
func APIError(err error) error {
	var ae *client.Error
	if errors.As(err, &ae) && ae.Status == 401 {
		msg := "unauthorized"
		if ae.Message != "" && ae.Message != "unauthorized" {
			msg += ": " + ae.Message
		}
		return fmt.Errorf("%s (check the key: `warren login`, or WARREN_API_KEY)", msg)
	}
	return err
}

// listing is a `warren NOUN [--json]` command: fetch a list over the API,
// then print it as JSON for scripts, or as a table (or the empty text) for
// people.
type listing[T any] struct {
	name, usage string
	empty       string // printed for no items; "" prints the bare header
	header      []string
	fetch       func(*client.Client, context.Context) ([]T, error) // a method expression
	row         func(T) []string
}

func (l listing[T]) run(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, l.name, l.usage)
	cf := addConnFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	c, err := apiClient(e, cf, false)
	if err != nil {
		return err
	}
	items, err := l.fetch(c, ctx)
	if err != nil {
		return APIError(err)
	}
	if *asJSON {
		return writeJSON(e.Stdout, items)
	}
	if len(items) == 0 && l.empty != "" {
		fmt.Fprintln(e.Stdout, l.empty)
		return nil
	}
	t := newTable(e.Stdout, l.header...)
	for _, it := range items {
		t.row(l.row(it)...)
	}
	return t.flush()
}

// action is a `warren NOUN VERB ARG [--json]` command: one argument, one
// API call, then the answer as JSON for scripts or a sentence for people.
type action[T any] struct {
	name, usage, arg string                                                   // arg names the argument in errors
	call             func(*client.Client, context.Context, string) (T, error) // a method expression
	say              func(e *command.Env, arg string, v T) error
}

func (a action[T]) run(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, a.name, a.usage)
	cf := addConnFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, a.arg); err != nil {
		return err
	}
	c, err := apiClient(e, cf, false)
	if err != nil {
		return err
	}
	v, err := a.call(c, ctx, pos[0])
	if err != nil {
		return APIError(err)
	}
	if *asJSON {
		return writeJSON(e.Stdout, v)
	}
	return a.say(e, pos[0], v)
}

// done is the answer of a call that returns nothing.
type done struct{}

// noResult adapts a call that returns only an error to action's shape.
func noResult(call func(*client.Client, context.Context, string) error) func(*client.Client, context.Context, string) (done, error) {
	return func(c *client.Client, ctx context.Context, arg string) (done, error) {
		return done{}, call(c, ctx, arg)
	}
}

// saying prints a sentence about arg, such as "Released %s.".
func saying(format string) func(*command.Env, string, done) error {
	return func(e *command.Env, arg string, _ done) error {
		_, err := fmt.Fprintf(e.Stdout, format+"\n", arg)
		return err
	}
}
