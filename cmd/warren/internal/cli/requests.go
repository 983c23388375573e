package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"

	"warren/cmd/warren/internal/command"
	"warren/httpapi/client"
)

// RunRequests is `warren requests [--tunnel S] [--limit N] [--follow] [--json]`.
func RunRequests(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "requests", "requests [--tunnel SUBDOMAIN] [--limit N] [--follow] [--json]")
	cf := addConnFlags(fs)
	tunnel := fs.String("tunnel", "", "only this tunnel's requests (its subdomain)")
	limit := fs.Int("limit", 20, "how many recent requests to show (1–1000)")
	follow := fs.Bool("follow", false, "keep streaming new requests (of every tunnel without --tunnel)")
	asJSON := fs.Bool("json", false, "print JSON (one object per line with --follow)")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if *limit < 1 || *limit > 1000 {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--limit must be 1–1000, not %d", *limit)}
	}

	c, err := apiClient(e, cf, *follow)
	if err != nil {
		return err
	}
	rs, err := c.Requests(ctx, *tunnel, *limit)
	if err != nil {
		return APIError(err)
	}
	if !*follow {
		if *asJSON {
			return writeJSON(e.Stdout, rs)
		}
		if len(rs) == 0 {
			fmt.Fprintln(e.Stdout, "No captured requests.")
			return nil
		}
		t := newTable(e.Stdout, requestHeader()...)
		for _, r := range rs {
			t.row(requestRow(r)...)
		}
		return t.flush()
	}
	// Following: print the recent ones oldest first, like a tail, then
	// resume the stream right after the newest so nothing falls between.
	slices.Reverse(rs)
	p := &requestPrinter{w: e.Stdout, json: *asJSON}
	last := ""
	for _, r := range rs {
		if err := p.print(r); err != nil {
			return err
		}
		last = r.ID
	}
	return APIError(c.FollowRequests(ctx, *tunnel, last, p.print))
}

func requestHeader() []string {
	return []string{"ID", "TIME", "TUNNEL", "METHOD", "PATH", "STATUS", "DURATION", "BYTES", "NOTES"} // NOTES: replay, webhook verdict
}

func requestRow(r client.Request) []string {
	return []string{r.ID, when(r.CreatedAt), orDash(r.Tunnel), orDash(r.Method), orDash(r.Path),
		strconv.Itoa(r.Status), strconv.FormatFloat(r.Millis(), 'f', 1, 64) + "ms", strconv.FormatInt(r.Bytes, 10),
		joinNotes(replayNote(deref(r.ReplayOf), r.Modified, overrideNames(r.Overrides)), requestWebhookNote(r.Webhook))} // webhook_note.go
}

// requestPrinter prints streamed requests one line each: unaligned columns
// can't be buffered until the end of a stream, so lines use fixed widths.
type requestPrinter struct {
	w    io.Writer
	json bool
}

func (p *requestPrinter) print(r client.Request) error {
	if p.json {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(p.w, "%s\n", b)
		return err
	}
	// The id and tunnel tell lines apart when several tunnels stream, and
	// the id is what replay takes; the path, of any width, comes last,
	// and a replay says so after it.
	note := joinNotes(replayNote(deref(r.ReplayOf), r.Modified, overrideNames(r.Overrides)), requestWebhookNote(r.Webhook)) // webhook_note.go
	if note != "" {
		note = "  " + note
	}
	_, err := fmt.Fprintf(p.w, "%s  %s  %-14s %-7s %3d  %8.1fms  %s%s\n", when(r.CreatedAt), r.ID, orDash(r.Tunnel), orDash(r.Method), r.Status, r.Millis(), orDash(r.Path), note)
	return err
}
