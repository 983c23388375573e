package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/httpapi/client"
)

// RunLogin is `warren login --server URL --key KEY [--ca FILE] [--insecure]`:
// it checks the key with GET /v1/me and only then saves them (0600).
// Without --key it logs in through the browser (device_login.go).
func RunLogin(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "login", "login --server URL [--key KEY] [--ca FILE] [--insecure]")
	cf := addConnFlags(fs)
	server := fs.String("server", command.EnvDefault(e, "WARREN_SERVER", ""), "the Warren server's URL, e.g. http://localhost:8080 (env WARREN_SERVER)")
	key := fs.String("key", command.EnvDefault(e, "WARREN_API_KEY", ""), "an API key, ak_…; \"-\" reads it from stdin, out of the shell's history (env WARREN_API_KEY); without one, log in through the browser")
	asJSON := fs.Bool("json", false, "print the account as JSON")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if *key == "-" {
		line, err := bufio.NewReader(e.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("reading the key from stdin: %w", err)
		}
		*key = strings.TrimSpace(line)
	}
	if *server == "" { // without --key, the browser (device_login.go)
		fs.Usage()
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--server is required")}
	}
	cfg := cliConfig{Server: *server, Key: *key}
	if err := envConfig(e, &cfg); err != nil {
		return err
	}
	if *cf.ca != "" {
		cfg.CA = *cf.ca
	}
	cfg.CA = absCA(cfg.CA)
	cfg.Insecure = cfg.Insecure || *cf.insecure
	conn, err := checkConn(cfg)
	if err != nil {
		return err
	}
	if *key == "" { // log in through the browser: device_login.go
		if *key, err = deviceLogin(ctx, *server, conn.httpClient(30*time.Second), e.Stderr); err != nil {
			return err
		}
		cfg.Key = *key
	}
	c, err := client.New(*server, *key, conn.httpClient(30*time.Second))
	if err != nil {
		return err
	}
	acc, err := c.Me(ctx)
	if err != nil {
		return APIError(err)
	}
	// The CA and --insecure are saved with the server they were given for.
	cfg.Server = c.BaseURL()
	p, err := saveConfig(e, cfg)
	if err != nil {
		return fmt.Errorf("saving the config: %w", err)
	}
	if *asJSON {
		return writeJSON(e.Stdout, acc)
	}
	fmt.Fprintf(e.Stdout, "Logged in to %s as %s (%s, plan %s).\nSaved to %s\n", c.BaseURL(), acc.Email, acc.ID, acc.Plan, p)
	return nil
}
