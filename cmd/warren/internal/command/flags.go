package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Defaults of the flags shared by the server commands. Each flag has an
// environment twin that replaces the default, and the flag beats both.
const (
	DefaultData   = "./data"
	DefaultAddr   = ":8080"
	DefaultDomain = "localhost"
	// DefaultTCPPorts is the range TCP tunnels draw their public port from.
	DefaultTCPPorts = "20000-20999"
	// DBFileName is the log's file inside the data directory.
	DBFileName = "warren.db"
)

// NewFlagSet returns a FlagSet that reports to e.Stderr and returns errors
// instead of exiting, so commands stay testable in-process.
func NewFlagSet(e *Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("warren "+name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	if e.describe != nil {
		e.describe(fs, usage)
	}
	fs.Usage = func() {
		if e.usage != nil {
			e.usage(fs.Output())
			return
		}
		fmt.Fprintf(fs.Output(), "usage: warren %s\n", usage)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintf(fs.Output(), "\nflags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// EnvDefault returns the environment twin's value, or def when unset.
func EnvDefault(e *Env, name, def string) string {
	if v := strings.TrimSpace(e.Getenv(name)); v != "" {
		return v
	}
	return def
}

// DataFlag registers --data (WARREN_DATA).
func DataFlag(e *Env, fs *flag.FlagSet) *string {
	return fs.String("data", EnvDefault(e, "WARREN_DATA", DefaultData), "data directory; the log is <data>/"+DBFileName+" (env WARREN_DATA)")
}

// DomainFlag registers --domain (WARREN_DOMAIN).
func DomainFlag(e *Env, fs *flag.FlagSet) *string {
	return fs.String("domain", EnvDefault(e, "WARREN_DOMAIN", DefaultDomain), "base domain: tunnels are <name>.<domain> (env WARREN_DOMAIN)")
}

// ParseFlags parses args and refuses stray positional arguments. A bad
// flag prints the usage and then, last like every other usage error,
// `warren CMD: what was wrong` (the flag package would print its message
// first, where a long flag list scrolls it out of sight).
func ParseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if err != nil {
		fs.Usage()
		if errors.Is(err, flag.ErrHelp) {
			return &ExitError{Code: 0}
		}
		return &ExitError{Code: 2, Err: flagError(fs, err)}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &ExitError{Code: 2, Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// flagError spells the flag package's messages as help spells the flags,
// with two dashes ("-limit" becomes "--limit"), and says what a value that
// did not parse should have been ("parse error" says nothing).
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if name, ok := strings.CutSuffix(msg, ": parse error"); ok {
		if i := strings.LastIndex(name, " -"); i >= 0 {
			if f := fs.Lookup(name[i+2:]); f != nil {
				if kind, _ := flag.UnquoteUsage(f); kind != "" {
					msg = name + ": not a valid " + kind
				}
			}
		}
	}
	for _, p := range []string{"for flag -", "for -", "argument: -", "not defined: -"} {
		if i := strings.Index(msg, p); i >= 0 && !strings.HasPrefix(msg[i+len(p):], "-") {
			msg = msg[:i+len(p)] + msg[i+len(p)-1:]
			break
		}
	}
	return errors.New(msg)
}
