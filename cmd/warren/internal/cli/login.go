package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"warren/httpapi/client"
)

// runLogin is `warren login --server URL --key KEY`: it checks the key with
// GET /v1/me and only then saves both (0600).
func runLogin(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "login", "login --server URL --key KEY")
	server := fs.String("server", envDefault(e, "WARREN_SERVER", ""), "the Warren server's URL, e.g. http://localhost:8080 (env WARREN_SERVER)")
	key := fs.String("key", envDefault(e, "WARREN_API_KEY", ""), "an API key, ak_…; \"-\" reads it from stdin, out of the shell's history (env WARREN_API_KEY)")
	asJSON := fs.Bool("json", false, "print the account as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *key == "-" {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("reading the key from stdin: %w", err)
		}
		*key = strings.TrimSpace(line)
	}
	if *server == "" || *key == "" {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("--server and --key are required")}
	}
	c, err := client.New(*server, *key, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	acc, err := c.Me(ctx)
	if err != nil {
		return apiError(err)
	}
	p, err := saveConfig(e, cliConfig{Server: c.BaseURL(), Key: *key})
	if err != nil {
		return fmt.Errorf("saving the config: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, acc)
	}
	fmt.Fprintf(e.stdout, "Logged in to %s as %s (%s, plan %s).\nSaved to %s\n", c.BaseURL(), acc.Email, acc.ID, acc.Plan, p)
	return nil
}
