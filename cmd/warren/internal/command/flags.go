package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"warren/events"
	"warren/projections"
)

// serverCommands are the server and its offline tools: serve, admin, events,
// rebuild, backup.
func serverCommands() map[string]command {
	return map[string]command{
		"serve":   {summary: "run the Warren server (API and tunnels)", run: runServe},
		"admin":   {summary: "offline account administration (admin account create|plan|list)", run: runAdmin},
		"events":  {summary: "inspect the event log (events verify|tail offline; events list over the API)", run: runEvents},
		"rebuild": {summary: "drop and rebuild every projection from the event log (offline)", run: runRebuild},
		"backup":  {summary: "write a consistent copy of the data file (offline, or --server while it runs)", run: runBackup},
		"compact": {summary: "rewrite the data file without its free pages (offline)", run: runCompact},
	}
}

// Defaults of the flags shared by the server commands. Each flag has an
// environment twin that replaces the default, and the flag beats both.
const (
	defaultData   = "./data"
	defaultAddr   = ":8080"
	defaultDomain = "localhost"
	// defaultTCPPorts is the range TCP tunnels draw their public port from.
	defaultTCPPorts = "20000-20999"
	dbFileName      = "warren.db"
	// lockTimeout bounds the wait for a data file held by a running server:
	// offline tools must fail clearly, never hang.
	lockTimeout = 2 * time.Second
)

// newFlagSet returns a FlagSet that reports to e.stderr and returns errors
// instead of exiting, so commands stay testable in-process.
func newFlagSet(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("warren "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
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

// envDefault returns the environment twin's value, or def when unset.
func envDefault(e *env, name, def string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	return def
}

// dataFlag registers --data (WARREN_DATA).
func dataFlag(e *env, fs *flag.FlagSet) *string {
	return fs.String("data", envDefault(e, "WARREN_DATA", defaultData), "data directory; the log is <data>/"+dbFileName+" (env WARREN_DATA)")
}

// domainFlag registers --domain (WARREN_DOMAIN).
func domainFlag(e *env, fs *flag.FlagSet) *string {
	return fs.String("domain", envDefault(e, "WARREN_DOMAIN", defaultDomain), "base domain: tunnels are <name>.<domain> (env WARREN_DOMAIN)")
}

// parseFlags parses args and refuses stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: 0}
		}
		return &exitError{code: 2}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// dbPath is the log file inside a data directory.
func dbPath(data string) string { return filepath.Join(data, dbFileName) }

// openOptions tune how an offline command opens the log.
type openOptions struct {
	readOnly  bool // no writer, shared lock; the file must exist
	noCatchUp bool // leave the projections as they are (rebuild drops them anyway)
	// caughtUp, if set, hears how many events start-up applied to the
	// projections (0 normally; a rebuild after an upgrade can take a while).
	caughtUp func(n uint64)
}

// openLog opens the log in data with the inline projections as its Applier,
// creating the directory (0700) when writing, and brings the projections
// level with the log. A file held by a running server fails within
// lockTimeout with events.Open's clear message.
func openLog(data string, o openOptions, opts events.Options) (*events.Log, error) {
	path := dbPath(data)
	if o.readOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no event log at %s (wrong --data?)", path)
		}
	} else if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	opts.Timeout = lockTimeout
	opts.ReadOnly = o.readOnly
	if opts.Applier == nil && !o.readOnly {
		opts.Applier = projections.New()
	}
	l, err := events.Open(path, opts)
	if err != nil {
		return nil, err
	}
	if !o.readOnly && !o.noCatchUp {
		n, err := projections.EnsureCurrent(l.DB(), nil)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("bringing projections up to date: %w", err)
		}
		if o.caughtUp != nil {
			o.caughtUp(n)
		}
	}
	return l, nil
}

// subcommand dispatches `warren NAME SUB …` to subs.
func subcommand(ctx context.Context, e *env, name string, subs map[string]command, args []string) error {
	if len(args) == 0 {
		subUsage(e.stderr, name, subs)
		return &exitError{code: 2, err: errors.New("missing subcommand")}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		subUsage(e.stdout, name, subs)
		return nil
	}
	c, ok := subs[args[0]]
	if !ok {
		subUsage(e.stderr, name, subs)
		return &exitError{code: 2, err: fmt.Errorf("unknown subcommand %q", args[0])}
	}
	return c.run(ctx, e, args[1:])
}

func subUsage(w io.Writer, name string, subs map[string]command) {
	fmt.Fprintf(w, "usage: warren %s SUBCOMMAND [flags]\n\nsubcommands:\n", name)
	for _, n := range sortedKeys(subs) {
		fmt.Fprintf(w, "  %-10s %s\n", n, subs[n].summary)
	}
}

func sortedKeys(m map[string]command) []string {
	return slices.Sorted(maps.Keys(m))
}
