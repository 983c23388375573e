package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"warren/cmd/warren/internal/command"
)

// RunUsage is `warren usage [--history [--from D --to D] [--tunnel S]] [--json]`
// and `warren usage statement --month YYYY-MM [--csv|--json]`.
func RunUsage(ctx context.Context, e *command.Env, args []string) error {
	if len(args) > 0 && args[0] == "statement" {
		return RunStatement(ctx, e, args[1:])
	}
	fs := command.NewFlagSet(e, "usage", "usage [--json] | usage --history [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--tunnel NAME] [--json] | usage statement --month YYYY-MM [--csv|--json]")
	cf := addConnFlags(fs)
	history := fs.Bool("history", false, "daily rollups (default: the last 30 days)")
	from := fs.String("from", "", "first day of --history (YYYY-MM-DD, UTC)")
	to := fs.String("to", "", "last day of --history (YYYY-MM-DD, UTC)")
	tunnel := fs.String("tunnel", "", "with --history: one tunnel's rollups (subdomain or tcp-PORT)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if !*history && (*from != "" || *to != "" || *tunnel != "") {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--from, --to and --tunnel go with --history")}
	}
	c, err := apiClient(e, cf, false)
	if err != nil {
		return err
	}
	if *history {
		days, err := c.UsageHistory(ctx, *from, *to, *tunnel)
		if err != nil {
			return APIError(err)
		}
		if *asJSON {
			return writeJSON(e.Stdout, days)
		}
		t := newTable(e.Stdout, "DATE", "REQUESTS", "IN", "OUT", "TOTAL", "TUNNEL TIME")
		for _, d := range days {
			b := d.BandwidthBytes
			t.row(d.Date, strconv.FormatInt(d.Requests, 10), humanBytes(b.In), humanBytes(b.Out), humanBytes(b.Total), tunnelTime(d.TunnelSeconds))
		}
		return t.flush()
	}
	u, err := c.Usage(ctx)
	if err != nil {
		return APIError(err)
	}
	if *asJSON {
		return writeJSON(e.Stdout, u)
	}
	fmt.Fprintf(e.Stdout, "Plan: %s\n\n", u.Plan)
	t := newTable(e.Stdout, "", "USED", "LIMIT")
	t.row("tunnels", count(u.Used.Tunnels), count(u.Limits.Tunnels))
	t.row("domains", count(u.Used.Domains), count(u.Limits.Domains))
	t.row("bandwidth (this month)", byteSize(u.Used.BandwidthBytes), byteSize(u.Limits.BandwidthBytes))
	return t.flush()
}

// tunnelTime renders seconds as 3h04m05s.
func tunnelTime(s int64) string {
	return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
}

// RunStatement is `warren usage statement --month YYYY-MM [--csv|--json]`.
func RunStatement(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "usage statement", "usage statement [--month YYYY-MM] [--csv|--json]")
	cf := addConnFlags(fs)
	month := fs.String("month", time.Now().UTC().Format("2006-01"), "the UTC calendar month")
	asCSV := fs.Bool("csv", false, "print the server's CSV")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	c, err := apiClient(e, cf, false)
	if err != nil {
		return err
	}
	if *asCSV {
		b, err := c.StatementCSV(ctx, *month)
		if err != nil {
			return APIError(err)
		}
		_, err = e.Stdout.Write(b)
		return err
	}
	st, err := c.Statement(ctx, *month)
	if err != nil {
		return APIError(err)
	}
	if *asJSON {
		return writeJSON(e.Stdout, st)
	}
	state := "open (figures so far)"
	if st.Closed {
		state = "closed (final)"
	}
	fmt.Fprintf(e.Stdout, "Statement %s for %s (%s plan): %s\n\n", st.Month, st.Email, st.Plan, state)
	t := newTable(e.Stdout, "", "")
	t.row("requests", strconv.FormatInt(st.Requests, 10))
	t.row("bandwidth in", humanBytes(st.BytesIn))
	t.row("bandwidth out", humanBytes(st.BytesOut))
	t.row("bandwidth total", humanBytes(st.BytesTotal))
	t.row("tunnel time", tunnelTime(st.TunnelSeconds))
	t.row("peak concurrent tunnels", strconv.Itoa(st.PeakTunnels))
	t.row("reservation-days", strconv.FormatFloat(st.ReservationDays, 'f', -1, 64))
	t.row("domain-days", strconv.FormatFloat(st.DomainDays, 'f', -1, 64))
	t.row("replays", strconv.FormatInt(st.Replays, 10))
	return t.flush()
}
