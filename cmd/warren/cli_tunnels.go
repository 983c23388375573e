package main

import (
	"context"
	"fmt"

	"warren/httpapi/client"
)

func tunnelSubs() map[string]command {
	return map[string]command{
		"close": {summary: "close a live tunnel: close ID|SUBDOMAIN|tcp-PORT", run: runTunnelClose},
	}
}

// runTunnels is `warren tunnels [--json]`.
func runTunnels(ctx context.Context, e *env, args []string) error {
	return listing[client.Tunnel]{
		name: "tunnels", usage: "tunnels [--json] | tunnels close ID|SUBDOMAIN|tcp-PORT",
		empty: "No live tunnels.", header: []string{"ID", "PUBLIC URL", "SUBDOMAIN", "REMOTE ADDR", "CREATED"},
		fetch: (*client.Client).Tunnels,
		row: func(x client.Tunnel) []string {
			return []string{orDash(x.ID), orDash(x.PublicURL), orDash(x.Subdomain), orDash(x.RemoteAddr), when(x.CreatedAt)}
		},
	}.run(ctx, e, args)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runTunnelClose(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "tunnels close", "tunnels close ID|SUBDOMAIN|tcp-PORT")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "the tunnel"); err != nil {
		return err
	}
	c, err := apiClient(e, false)
	if err != nil {
		return err
	}
	if err := c.CloseTunnel(ctx, pos[0]); err != nil {
		return apiError(err)
	}
	fmt.Fprintf(e.stdout, "Closed tunnel %s.\n", pos[0])
	return nil
}
