package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"warren/cmd/warren/internal/command"
)

// auditEvent is one event as the audit API returns it.
type auditEvent struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Account string          `json:"account,omitempty"`
	At      time.Time       `json:"at"`
	Data    json.RawMessage `json:"data"`
}

// RunEventsList is `warren events list`: the account's audit trail over the
// API (the operator's whole log with --all), newest last; --follow streams.
func RunEventsList(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "events list", "events list [--type PREFIX] [--since T] [--until T] [--limit N] [--all] [--follow] [--json]")
	cf := addConnFlags(fs)
	typ := fs.String("type", "", "only events whose type starts with this (key., tunnel.opened)")
	since := fs.String("since", "", "only events at or after this RFC 3339 time")
	until := fs.String("until", "", "only events before this RFC 3339 time")
	limit := fs.Int("limit", 50, "how many recent events to show (1–10000)")
	all := fs.Bool("all", false, "every account's events (operator keys only)")
	follow := fs.Bool("follow", false, "keep streaming the account's new events")
	asJSON := fs.Bool("json", false, "print JSON (one object per line with --follow)")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	c, err := cf.resolve(e)
	if err != nil {
		return err
	}
	if *limit < 1 || *limit > 10000 {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--limit must be 1–10000, not %d", *limit)}
	}
	if *follow && *all {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--follow streams your own account's events; it cannot be used with --all")}
	}
	q := url.Values{}
	for k, v := range map[string]string{"type": *typ, "since": *since, "until": *until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("limit", strconv.Itoa(min(*limit, 100)))
	path := "/api/v1/me/events"
	if *all {
		path = "/api/v1/admin/events"
	}
	evs, err := listAuditEvents(ctx, c, path+"?"+q.Encode(), *limit)
	if err != nil {
		return APIError(err)
	}
	slices.Reverse(evs) // oldest first, like a tail
	if *asJSON && !*follow {
		return writeJSON(e.Stdout, evs)
	}
	p := &eventPrinter{w: e.Stdout, json: *asJSON}
	last := ""
	for _, ev := range evs {
		if err := p.print(ev); err != nil {
			return err
		}
		last = ev.ID
	}
	if !*follow {
		if len(evs) == 0 {
			fmt.Fprintln(e.Stdout, "No events.")
		}
		return nil
	}
	sq := url.Values{}
	if *typ != "" {
		sq.Set("type", *typ)
	}
	return APIError(followAuditEvents(ctx, c, "/api/v1/me/events/stream?"+sq.Encode(), last, p.print))
}

// listAuditEvents follows next_page_uri until it has want events.
func listAuditEvents(ctx context.Context, c conn, path string, want int) ([]auditEvent, error) {
	out := []auditEvent{}
	for next := path; next != "" && len(out) < want; {
		var page struct {
			Events []auditEvent `json:"events"`
			Next   *string      `json:"next_page_uri"`
		}
		if err := c.getJSON(ctx, next, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Events...)
		next = ""
		if page.Next != nil {
			next = *page.Next
		}
	}
	if len(out) > want {
		out = out[:want]
	}
	return out, nil
}

// followAuditEvents reads the SSE stream, reconnecting with Last-Event-ID
// when the server ends it (a slow reader is disconnected, never stalled),
// until ctx ends.
func followAuditEvents(ctx context.Context, c conn, path, last string, fn func(auditEvent) error) error {
	for backoff := 100 * time.Millisecond; ctx.Err() == nil; {
		var hdr []string
		if last != "" {
			hdr = []string{"Last-Event-ID", last}
		}
		resp, err := c.get(ctx, path, true, append(hdr, "Accept", "text/event-stream")...)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		delivered, err := readAuditStream(resp.Body, &last, fn)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if delivered {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
			backoff = min(2*backoff, 5*time.Second)
		}
	}
	return nil
}

// readAuditStream hands each SSE frame's event to fn, advancing last. Only
// fn's errors are returned: a broken connection just ends the read.
func readAuditStream(r io.Reader, last *string, fn func(auditEvent) error) (delivered bool, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var data string
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			data = strings.TrimPrefix(v, " ")
			continue
		}
		if line != "" || data == "" {
			continue
		}
		var ev auditEvent
		if json.Unmarshal([]byte(data), &ev) == nil {
			if err := fn(ev); err != nil {
				return delivered, err
			}
			*last, delivered = ev.ID, true
		}
		data = ""
	}
	return delivered, nil
}

// eventPrinter prints one event per line.
type eventPrinter struct {
	w    io.Writer
	json bool
}

func (p *eventPrinter) print(ev auditEvent) error {
	if p.json {
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(p.w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintf(p.w, "%s  %-26s %-24s %s  %s\n", when(ev.At), ev.ID, ev.Type, orDash(ev.Account), ev.Data)
	return err
}
