package cli

import (
	"context"
	"fmt"

	"warren/cmd/warren/internal/command"
	"warren/httpapi/client"
)

// RunKeys is `warren keys [--json]`: metadata only, never secrets.
func RunKeys(ctx context.Context, e *command.Env, args []string) error {
	return listing[client.Key]{
		name: "keys", usage: "keys [--json] | keys create [--description D] | keys revoke ID",
		header: []string{"ID", "PREFIX", "DESCRIPTION", "CREATED", "REVOKED"},
		fetch:  (*client.Client).Keys,
		row: func(k client.Key) []string {
			return []string{k.ID, k.Prefix + "…", orDash(k.Description), when(k.CreatedAt), whenPtr(k.RevokedAt)}
		},
	}.run(ctx, e, args)
}

// RunKeyCreate is `warren keys create [--description D]`: the secret is printed once.
func RunKeyCreate(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "keys create", "keys create [--description D] [--json]")
	cf := addConnFlags(fs)
	desc := fs.String("description", "", "what the key is for")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, ""); err != nil {
		return err
	}
	c, err := apiClient(e, cf, false)
	if err != nil {
		return err
	}
	k, err := c.CreateKey(ctx, *desc)
	if err != nil {
		return APIError(err)
	}
	if *asJSON {
		return writeJSON(e.Stdout, k)
	}
	fmt.Fprintf(e.Stdout, "Created key %s. Its secret is shown only this once; keep it:\n\n    %s\n\n", k.ID, k.Secret)
	return nil
}

// RunKeyRevoke is `warren keys revoke ID`.
func RunKeyRevoke(ctx context.Context, e *command.Env, args []string) error {
	return action[done]{name: "keys revoke", usage: "keys revoke ID", arg: "ID",
		call: noResult((*client.Client).RevokeKey), say: saying("Revoked key %s.")}.run(ctx, e, args)
}
