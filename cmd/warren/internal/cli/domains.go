package cli

import (
	"context"
	"fmt"

	"warren/cmd/warren/internal/command"
	"warren/httpapi/client"
)

// RunDomains is `warren domains [--json]`.
func RunDomains(ctx context.Context, e *command.Env, args []string) error {
	return listing[client.Domain]{
		name: "domains", usage: "domains [--json] | domains add NAME | domains verify ID|NAME | domains rm ID|NAME",
		empty: "No custom domains.", header: []string{"ID", "NAME", "STATE", "CHECKED", "LAST ERROR"},
		fetch: (*client.Client).Domains,
		row: func(d client.Domain) []string {
			return []string{d.ID, d.Name, d.State, whenPtr(d.CheckedAt), orDash(d.LastError)}
		},
	}.run(ctx, e, args)
}

// RunDomainAdd is `warren domains add NAME`: it prints the TXT record to publish.
func RunDomainAdd(ctx context.Context, e *command.Env, args []string) error {
	return action[client.Domain]{name: "domains add", usage: "domains add NAME [--json]", arg: "NAME",
		call: (*client.Client).AddDomain,
		say: func(e *command.Env, _ string, d client.Domain) error {
			fmt.Fprintf(e.Stdout, "Added %s (%s). Publish this DNS record, then run `warren domains verify %s`:\n\n", d.Name, d.ID, d.ID)
			t := newTable(e.Stdout, "NAME", "TYPE", "VALUE")
			t.row(d.TXTRecord.Name, d.TXTRecord.Type, d.TXTRecord.Value)
			return t.flush()
		},
	}.run(ctx, e, args)
}

// RunDomainVerify is `warren domains verify ID|NAME`: the server checks the TXT record now.
func RunDomainVerify(ctx context.Context, e *command.Env, args []string) error {
	return action[client.Domain]{name: "domains verify", usage: "domains verify ID|NAME [--json]", arg: "ID or NAME",
		call: (*client.Client).VerifyDomain,
		say:  func(e *command.Env, _ string, d client.Domain) error { return printVerified(e, d) },
	}.run(ctx, e, args)
}

// printVerified says how the check went; a failed check is an error (exit
// 1) so scripts can wait for DNS with `until warren domains verify …`.
func printVerified(e *command.Env, d client.Domain) error {
	if d.State == "verified" {
		fmt.Fprintf(e.Stdout, "%s is verified.\n", d.Name)
		return nil
	}
	return fmt.Errorf("%s is not verified (%s): %s", d.Name, d.State, orDash(d.LastError))
}

// RunDomainRm is `warren domains rm ID|NAME`.
func RunDomainRm(ctx context.Context, e *command.Env, args []string) error {
	return action[done]{name: "domains rm", usage: "domains rm ID|NAME", arg: "ID or NAME",
		call: noResult((*client.Client).RemoveDomain), say: saying("Removed domain %s.")}.run(ctx, e, args)
}
