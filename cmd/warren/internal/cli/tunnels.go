package cli

import (
	"context"

	"warren/cmd/warren/internal/command"
	"warren/httpapi/client"
)

// RunTunnels is `warren tunnels [--json]`.
func RunTunnels(ctx context.Context, e *command.Env, args []string) error {
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

// RunTunnelClose is `warren tunnels close ID|SUBDOMAIN|tcp-PORT`.
func RunTunnelClose(ctx context.Context, e *command.Env, args []string) error {
	return action[done]{name: "tunnels close", usage: "tunnels close ID|SUBDOMAIN|tcp-PORT", arg: "the tunnel",
		call: noResult((*client.Client).CloseTunnel), say: saying("Closed tunnel %s.")}.run(ctx, e, args)
}
