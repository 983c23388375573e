package main

import (
	"context"
	"fmt"
)

func tunnelSubs() map[string]command {
	return map[string]command{
		"close": {summary: "close a live tunnel: close ID|SUBDOMAIN|tcp-PORT", run: runTunnelClose},
	}
}

// runTunnels is `warren tunnels [--json]`.
func runTunnels(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "tunnels", "tunnels [--json] | tunnels close ID|SUBDOMAIN|tcp-PORT")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := apiClient(e, false)
	if err != nil {
		return err
	}
	ts, err := c.Tunnels(ctx)
	if err != nil {
		return apiError(err)
	}
	if *asJSON {
		return writeJSON(e.stdout, ts)
	}
	if len(ts) == 0 {
		fmt.Fprintln(e.stdout, "No live tunnels.")
		return nil
	}
	t := newTable(e.stdout, "ID", "PUBLIC URL", "SUBDOMAIN", "REMOTE ADDR", "CREATED")
	for _, x := range ts {
		t.row(orDash(x.ID), orDash(x.PublicURL), orDash(x.Subdomain), orDash(x.RemoteAddr), when(x.CreatedAt))
	}
	return t.flush()
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
