// Command warren is Warren's one binary: the server (serve), its offline
// tools (admin, events, rebuild, backup, compact) and the client (http, tcp,
// requests…). This file is the command tree only: each name maps to a call
// into internal/server (the composition root), internal/offline or
// internal/cli, which parse their own flags; internal/command makes the
// tree a cobra one (help, completion, version).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"warren/cmd/warren/internal/cli"
	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/offline"
	"warren/cmd/warren/internal/server"
)

// commands is the tree: `warren NAME [SUB] [flags]`. Cobra builds help,
// completion and --version from it (command.Root); each command parses its
// own flags.
func commands() command.Set {
	return command.Set{
		// The server and its offline tools.
		"serve": {Summary: "run the Warren server (API and tunnels)", Run: server.RunServe},
		"admin": {Summary: "offline account administration (admin account create|plan|list|password)", Subs: command.Set{
			"account": {Summary: "accounts: create, plan, list, password", Subs: command.Set{
				"create":   {Summary: "create an account and print its first API key", Run: offline.RunAccountCreate},
				"plan":     {Summary: "change an account's plan", Run: offline.RunAccountPlan},
				"list":     {Summary: "list accounts, newest first", Run: offline.RunAccountList},
				"password": {Summary: "set an account's dashboard password (stdin or prompt), or print a set-password link (--link)", Run: offline.RunAccountPassword},
			}},
		}},
		"events": {Summary: "inspect the event log (events verify|tail offline; events list over the API)", Subs: command.Set{
			"verify": {Summary: "walk the hash chain; exit 1 naming the first bad event", Run: offline.RunEventsVerify},
			"tail":   {Summary: "print events as JSON lines (--follow to keep polling)", Run: offline.RunEventsTail},
			"list":   {Summary: "your account's audit trail over the API (--type, --follow, --all)", Run: cli.RunEventsList},
		}},
		"rebuild": {Summary: "drop and rebuild every projection from the event log (offline)", Run: offline.RunRebuild},
		"backup":  {Summary: "write a consistent copy of the data file (offline, or --server while it runs)", Run: offline.RunBackup},
		"compact": {Summary: "rewrite the data file without its free pages (offline)", Run: offline.RunCompact},

		// The agent.
		"http":   {Summary: "expose a local HTTP or HTTPS service: warren http PORT|HOST:PORT|https://HOST:PORT [--subdomain S]", Run: cli.RunHTTP},
		"tcp":    {Summary: "expose a local TCP service: warren tcp PORT|HOST:PORT [--port N]", Run: cli.RunTCP},
		"start":  {Summary: "open several tunnels from a config file: warren start --config FILE", Run: cli.RunStart},
		"replay": {Summary: "re-send captured requests, as captured or edited: warren replay REQ_ID [--to URL] [--method, --path, --header K:V, --body-file F] | --tunnel S [--status 5xx] [--since 1h]", Run: cli.RunReplay},

		// Clients of the control-plane API.
		"login": {Summary: "check an API key against a server and save both", Run: cli.RunLogin},
		"tunnels": {Summary: "list your live tunnels, or close one", Run: cli.RunTunnels, Subs: command.Set{
			"close": {Summary: "close a live tunnel: close ID|SUBDOMAIN|tcp-PORT", Run: cli.RunTunnelClose},
		}},
		"requests": {Summary: "list captured requests; --follow streams new ones; show one; export", Run: cli.RunRequests, Subs: command.Set{
			"export": {Summary: "export a tunnel's captured requests as HAR 1.2 or ndjson", Run: cli.RunRequestsExport},
			"show":   {Summary: "show one captured request: summary, headers, bodies by content type (--raw, --json)", Run: cli.RunRequestShow},
		}},
		"reservations": {Summary: "list, add or rm reserved subdomains and TCP ports", Run: cli.RunReservations, Subs: command.Set{
			"add": {Summary: "reserve a subdomain: add NAME, or a TCP port: add --tcp [--port N]", Run: cli.RunReservationAdd},
			"rm":  {Summary: "release a reservation: rm NAME|tcp:PORT", Run: cli.RunReservationRm},
		}},
		"keys": {Summary: "list, create or revoke API keys", Run: cli.RunKeys, Subs: command.Set{
			"create": {Summary: "make a key (its secret is shown once): create [--description D]", Run: cli.RunKeyCreate},
			"revoke": {Summary: "revoke a key: revoke ID", Run: cli.RunKeyRevoke},
		}},
		"domains": {Summary: "list, add, verify or rm custom domains", Run: cli.RunDomains, Subs: command.Set{
			"add":    {Summary: "add a custom domain and show the TXT record to publish: add NAME", Run: cli.RunDomainAdd},
			"verify": {Summary: "have the server check the TXT record now: verify ID|NAME", Run: cli.RunDomainVerify},
			"rm":     {Summary: "remove a custom domain: rm ID|NAME", Run: cli.RunDomainRm},
		}},
		"usage": {Summary: "show plan limits and usage; --history for daily rollups", Run: cli.RunUsage, Subs: command.Set{
			"statement": {Summary: "a month's statement: statement --month YYYY-MM [--csv|--json]", Run: cli.RunStatement},
		}},
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

// run builds the tree and runs args on it, returning the exit code.
func run(ctx context.Context, e *command.Env, args []string) int {
	return command.Execute(ctx, e, command.Root(e, commands(), command.Version()), args)
}
