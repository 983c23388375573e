package main

import (
	"context"
	"fmt"

	"warren/httpapi/client"
)

func domainSubs() map[string]command {
	return map[string]command{
		"add":    {summary: "add a custom domain and show the TXT record to publish: add NAME", run: runDomainAdd},
		"verify": {summary: "have the server check the TXT record now: verify ID|NAME", run: runDomainVerify},
		"rm":     {summary: "remove a custom domain: rm ID|NAME", run: runDomainRm},
	}
}

// runDomains is `warren domains [--json]`.
func runDomains(ctx context.Context, e *env, args []string) error {
	return listing[client.Domain]{
		name: "domains", usage: "domains [--json] | domains add NAME | domains verify ID|NAME | domains rm ID|NAME",
		empty: "No custom domains.", header: []string{"ID", "NAME", "STATE", "CHECKED", "LAST ERROR"},
		fetch: (*client.Client).Domains,
		row: func(d client.Domain) []string {
			return []string{d.ID, d.Name, d.State, whenPtr(d.CheckedAt), orDash(d.LastError)}
		},
	}.run(ctx, e, args)
}

func runDomainAdd(ctx context.Context, e *env, args []string) error {
	return action[client.Domain]{name: "domains add", usage: "domains add NAME [--json]", arg: "NAME",
		call: (*client.Client).AddDomain,
		say: func(e *env, _ string, d client.Domain) error {
			fmt.Fprintf(e.stdout, "Added %s (%s). Publish this DNS record, then run `warren domains verify %s`:\n\n", d.Name, d.ID, d.ID)
			t := newTable(e.stdout, "NAME", "TYPE", "VALUE")
			t.row(d.TXTRecord.Name, d.TXTRecord.Type, d.TXTRecord.Value)
			return t.flush()
		},
	}.run(ctx, e, args)
}

func runDomainVerify(ctx context.Context, e *env, args []string) error {
	return action[client.Domain]{name: "domains verify", usage: "domains verify ID|NAME [--json]", arg: "ID or NAME",
		call: (*client.Client).VerifyDomain,
		say:  func(e *env, _ string, d client.Domain) error { return printVerified(e, d) },
	}.run(ctx, e, args)
}

// printVerified says how the check went; a failed check is an error (exit
// 1) so scripts can wait for DNS with `until warren domains verify …`.
func printVerified(e *env, d client.Domain) error {
	if d.State == "verified" {
		fmt.Fprintf(e.stdout, "%s is verified.\n", d.Name)
		return nil
	}
	return fmt.Errorf("%s is not verified (%s): %s", d.Name, d.State, orDash(d.LastError))
}

func runDomainRm(ctx context.Context, e *env, args []string) error {
	return action[done]{name: "domains rm", usage: "domains rm ID|NAME", arg: "ID or NAME",
		call: noResult((*client.Client).RemoveDomain), say: saying("Removed domain %s.")}.run(ctx, e, args)
}
