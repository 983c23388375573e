package command

import (
	"errors"
	"flag"
	"fmt"
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

// ParseFlags parses args and refuses stray positional arguments.
func ParseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &ExitError{Code: 0}
		}
		return &ExitError{Code: 2}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &ExitError{Code: 2, Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}
