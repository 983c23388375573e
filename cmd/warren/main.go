// Command warren is Warren's one binary: the server (serve), its offline
// tools (admin, events, rebuild, backup, compact) and the client (http, tcp,
// requests…). This file is the command tree only: each name maps to a call
// into internal/server (the composition root), internal/offline or
// internal/cli, which parse their own flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"syscall"

	"warren/cmd/warren/internal/cli"
	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/offline"
	"warren/cmd/warren/internal/server"
)

// commands is the tree: `warren NAME [SUB] [flags]`.
func commands() command.Set {
	return command.Set{
		// The server and its offline tools.
		"serve": {Summary: "run the Warren server (API and tunnels)", Run: server.RunServe},
		"admin": {Summary: "offline account administration (admin account create|plan|list)", Run: command.Subs("admin", command.Set{
			"account": {Summary: "accounts: create, plan, list", Run: command.Subs("admin account", command.Set{
				"create":   {Summary: "create an account and print its first API key", Run: offline.RunAccountCreate},
				"plan":     {Summary: "change an account's plan", Run: offline.RunAccountPlan},
				"list":     {Summary: "list accounts, newest first", Run: offline.RunAccountList},
				"password": {Summary: "set an account's dashboard password (stdin or prompt), or print a set-password link (--link)", Run: offline.RunAccountPassword},
			})},
		})},
		"events": {Summary: "inspect the event log (events verify|tail offline; events list over the API)", Run: command.Subs("events", command.Set{
			"verify": {Summary: "walk the hash chain; exit 1 naming the first bad event", Run: offline.RunEventsVerify},
			"tail":   {Summary: "print events as JSON lines (--follow to keep polling)", Run: offline.RunEventsTail},
			"list":   {Summary: "your account's audit trail over the API (--type, --follow, --all)", Run: cli.RunEventsList},
		})},
		"rebuild": {Summary: "drop and rebuild every projection from the event log (offline)", Run: offline.RunRebuild},
		"backup":  {Summary: "write a consistent copy of the data file (offline, or --server while it runs)", Run: offline.RunBackup},
		"compact": {Summary: "rewrite the data file without its free pages (offline)", Run: offline.RunCompact},

		// The agent.
		"http":   {Summary: "expose a local HTTP service: warren http PORT|HOST:PORT [--subdomain S]", Run: cli.RunHTTP},
		"tcp":    {Summary: "expose a local TCP service: warren tcp PORT|HOST:PORT", Run: cli.RunTCP},
		"start":  {Summary: "open several tunnels from a config file: warren start --config FILE", Run: cli.RunStart},
		"replay": {Summary: "re-send captured requests: warren replay REQ_ID [--to URL] | --tunnel S [--status 5xx] [--since 1h]", Run: cli.RunReplay},

		// Clients of the control-plane API.
		"login": {Summary: "check an API key against a server and save both", Run: cli.RunLogin},
		"tunnels": {Summary: "list your live tunnels, or close one", Run: command.WithSubs("tunnels", cli.RunTunnels, command.Set{
			"close": {Summary: "close a live tunnel: close ID|SUBDOMAIN|tcp-PORT", Run: cli.RunTunnelClose},
		})},
		"requests": {Summary: "list captured requests; --follow streams new ones; export", Run: command.WithSubs("requests", cli.RunRequests, command.Set{
			"export": {Summary: "export a tunnel's captured requests as HAR 1.2 or ndjson", Run: cli.RunRequestsExport},
		})},
		"reservations": {Summary: "list, add or rm reserved subdomains", Run: command.WithSubs("reservations", cli.RunReservations, command.Set{
			"add": {Summary: "reserve a subdomain: add NAME", Run: cli.RunReservationAdd},
			"rm":  {Summary: "release a reserved subdomain: rm NAME", Run: cli.RunReservationRm},
		})},
		"keys": {Summary: "list, create or revoke API keys", Run: command.WithSubs("keys", cli.RunKeys, command.Set{
			"create": {Summary: "make a key (its secret is shown once): create [--description D]", Run: cli.RunKeyCreate},
			"revoke": {Summary: "revoke a key: revoke ID", Run: cli.RunKeyRevoke},
		})},
		"domains": {Summary: "list, add, verify or rm custom domains", Run: command.WithSubs("domains", cli.RunDomains, command.Set{
			"add":    {Summary: "add a custom domain and show the TXT record to publish: add NAME", Run: cli.RunDomainAdd},
			"verify": {Summary: "have the server check the TXT record now: verify ID|NAME", Run: cli.RunDomainVerify},
			"rm":     {Summary: "remove a custom domain: rm ID|NAME", Run: cli.RunDomainRm},
		})},
		"usage": {Summary: "show plan limits and usage; --history for daily rollups", Run: cli.RunUsage},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal asks the command to end (ctx); the next one ends the
	// process at once, by the signal's default action: a command stuck
	// writing to a stdout nobody reads cannot see ctx.
	context.AfterFunc(ctx, stop)
	e := &command.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	// WARREN_CPUPROFILE=FILE profiles the command until it ends (a server:
	// until SIGTERM or Ctrl-C), for performance reports.
	if path := os.Getenv("WARREN_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			code := run(ctx, e, os.Args[1:])
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
		fmt.Fprintf(os.Stderr, "warren: cannot profile to %s\n", path)
	}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run dispatches to a subcommand and turns its error into an exit code.
func run(ctx context.Context, e *command.Env, args []string) int {
	cmds := commands()
	if len(args) == 0 {
		usage(e.Stderr, cmds)
		return 2
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.Stdout, cmds)
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.Stderr, "warren: unknown command %q\n\n", args[0])
		usage(e.Stderr, cmds)
		return 2
	}
	if err := c.Run(ctx, e, args[1:]); err != nil {
		var ee *command.ExitError
		if errors.As(err, &ee) {
			if ee.Err != nil {
				fmt.Fprintf(e.Stderr, "warren %s: %v\n", args[0], ee.Err)
			}
			return ee.Code
		}
		fmt.Fprintf(e.Stderr, "warren %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds command.Set) {
	fmt.Fprintln(w, "usage: warren COMMAND [flags]\n\ncommands:")
	for _, n := range slices.Sorted(maps.Keys(cmds)) {
		fmt.Fprintf(w, "  %-14s %s\n", n, cmds[n].Summary)
	}
}
