package main

import (
	"context"
	"fmt"
)

// apiCommands are the client commands over the control-plane API: login,
// tunnels, requests, reservations, keys, domains, usage.
func apiCommands() map[string]command {
	return map[string]command{
		"login":        {summary: "check an API key against a server and save both", run: runLogin},
		"tunnels":      {summary: "list your live tunnels, or close one", run: withSubs("tunnels", runTunnels, tunnelSubs())},
		"requests":     {summary: "list captured requests; --follow streams new ones; export", run: withSubs("requests", runRequests, requestsSubs())}, // export: audit_export.go
		"reservations": {summary: "list, add or rm reserved subdomains", run: withSubs("reservations", runReservations, reservationSubs())},
		"keys":         {summary: "list, create or revoke API keys", run: withSubs("keys", runKeys, keySubs())},
		"domains":      {summary: "list, add, verify or rm custom domains", run: withSubs("domains", runDomains, domainSubs())},
		"usage":        {summary: "show plan limits and usage; --history for daily rollups", run: runUsage},
	}
}

// withSubs runs list for `warren NAME [flags]` and a subcommand for
// `warren NAME SUB …`.
func withSubs(name string, list func(context.Context, *env, []string) error, subs map[string]command) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) > 0 {
			if args[0] == "help" {
				subUsage(e.stdout, name, subs)
				return nil
			}
			if c, ok := subs[args[0]]; ok {
				return c.run(ctx, e, args[1:])
			}
			if args[0] != "" && args[0][0] != '-' {
				subUsage(e.stderr, name, subs)
				return &exitError{code: 2, err: fmt.Errorf("unknown subcommand %q", args[0])}
			}
		}
		return list(ctx, e, args)
	}
}
