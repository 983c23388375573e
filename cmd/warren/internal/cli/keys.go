package main

import (
	"context"
	"fmt"

	"warren/httpapi/client"
)

func keySubs() map[string]command {
	return map[string]command{
		"create": {summary: "make a key (its secret is shown once): create [--description D]", run: runKeyCreate},
		"revoke": {summary: "revoke a key: revoke ID", run: runKeyRevoke},
	}
}

// runKeys is `warren keys [--json]`: metadata only, never secrets.
func runKeys(ctx context.Context, e *env, args []string) error {
	return listing[client.Key]{
		name: "keys", usage: "keys [--json] | keys create [--description D] | keys revoke ID",
		header: []string{"ID", "PREFIX", "DESCRIPTION", "CREATED", "REVOKED"},
		fetch:  (*client.Client).Keys,
		row: func(k client.Key) []string {
			return []string{k.ID, k.Prefix + "…", orDash(k.Description), when(k.CreatedAt), whenPtr(k.RevokedAt)}
		},
	}.run(ctx, e, args)
}

func runKeyCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "keys create", "keys create [--description D] [--json]")
	desc := fs.String("description", "", "what the key is for")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, ""); err != nil {
		return err
	}
	c, err := apiClient(e, false)
	if err != nil {
		return err
	}
	k, err := c.CreateKey(ctx, *desc)
	if err != nil {
		return apiError(err)
	}
	if *asJSON {
		return writeJSON(e.stdout, k)
	}
	fmt.Fprintf(e.stdout, "Created key %s. Its secret is shown only this once; keep it:\n\n    %s\n\n", k.ID, k.Secret)
	return nil
}

func runKeyRevoke(ctx context.Context, e *env, args []string) error {
	return action[done]{name: "keys revoke", usage: "keys revoke ID", arg: "ID",
		call: noResult((*client.Client).RevokeKey), say: saying("Revoked key %s.")}.run(ctx, e, args)
}
