package main

import (
	"context"
	"fmt"
	"strconv"
)

// runUsage is `warren usage [--history [--from D --to D]] [--json]`.
func runUsage(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "usage", "usage [--json] | usage --history [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]")
	history := fs.Bool("history", false, "daily rollups (default: the last 30 days)")
	from := fs.String("from", "", "first day of --history (YYYY-MM-DD, UTC)")
	to := fs.String("to", "", "last day of --history (YYYY-MM-DD, UTC)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !*history && (*from != "" || *to != "") {
		return &exitError{code: 2, err: fmt.Errorf("--from and --to go with --history")}
	}
	c, err := apiClient(e, false)
	if err != nil {
		return err
	}
	if *history {
		days, err := c.UsageHistory(ctx, *from, *to)
		if err != nil {
			return apiError(err)
		}
		if *asJSON {
			return writeJSON(e.stdout, days)
		}
		t := newTable(e.stdout, "DATE", "REQUESTS", "IN", "OUT", "TOTAL", "TUNNEL TIME")
		for _, d := range days {
			b := d.BandwidthBytes
			t.row(d.Date, strconv.FormatInt(d.Requests, 10), humanBytes(b.In), humanBytes(b.Out), humanBytes(b.Total), tunnelTime(d.TunnelSeconds))
		}
		return t.flush()
	}
	u, err := c.Usage(ctx)
	if err != nil {
		return apiError(err)
	}
	if *asJSON {
		return writeJSON(e.stdout, u)
	}
	fmt.Fprintf(e.stdout, "Plan: %s\n\n", u.Plan)
	t := newTable(e.stdout, "", "USED", "LIMIT")
	t.row("tunnels", count(u.Used.Tunnels), count(u.Limits.Tunnels))
	t.row("domains", count(u.Used.Domains), count(u.Limits.Domains))
	t.row("bandwidth (this month)", byteSize(u.Used.BandwidthBytes), byteSize(u.Limits.BandwidthBytes))
	return t.flush()
}

// tunnelTime renders seconds as 3h04m05s.
func tunnelTime(s int64) string {
	return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
}
