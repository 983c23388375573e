package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"

	"warren/cmd/warren/internal/command"
)

// RunRequestsExport is `warren requests export --tunnel S --format har|ndjson
// [--since T] [--out FILE]`: the server's export streamed to stdout or FILE.
func RunRequestsExport(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "requests export", "requests export --tunnel SUBDOMAIN [--format har|ndjson] [--since RFC3339] [--out FILE]")
	cf := addConnFlags(fs)
	tunnel := fs.String("tunnel", "", "the tunnel whose requests to export (its subdomain, or tcp-<port>; required)")
	format := fs.String("format", "har", "har (HAR 1.2, opens in browser devtools) or ndjson (one request per line, bodies base64)")
	since := fs.String("since", "", "only requests captured at or after this RFC 3339 time")
	out := fs.String("out", "", "write to this file instead of stdout")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if *tunnel == "" {
		fs.Usage()
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--tunnel is required")}
	}
	if *format != "har" && *format != "ndjson" {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--format must be har or ndjson, not %q", *format)}
	}
	q := url.Values{"format": {*format}}
	if *since != "" {
		q.Set("since", *since)
	}
	c, err := cf.resolve(e)
	if err != nil {
		return err
	}
	resp, err := c.get(ctx, "/api/v1/me/tunnels/"+url.PathEscape(*tunnel)+"/requests/export?"+q.Encode(), true)
	if err != nil {
		return APIError(err)
	}
	defer resp.Body.Close()
	if *out == "" {
		_, err = io.Copy(e.Stdout, resp.Body)
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	fmt.Fprintf(e.Stderr, "wrote %s (%d bytes)\n", *out, n)
	return nil
}
