package certs

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"time"

	"github.com/libdns/libdns"

	"warren/domain"
)

// Exec is a libdns provider that runs an operator's script for each
// record: `PATH set ZONE NAME VALUE` to add it and `PATH unset ZONE NAME
// VALUE` to remove it, ZONE and NAME fully qualified without the final
// dot (e.g. `set example.com _acme-challenge.example.com <token>`). Only
// TXT records are asked for (DNS-01). A non-zero exit is an error that
// carries the script's output.
type Exec struct {
	Path    string
	Timeout time.Duration // per run (0: 2 minutes)
}

// AppendRecords runs the script with "set" for each record.
func (p *Exec) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	return p.run(ctx, "set", zone, recs)
}

// DeleteRecords runs the script with "unset" for each record.
func (p *Exec) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	return p.run(ctx, "unset", zone, recs)
}

func (p *Exec) run(ctx context.Context, verb, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	done := make([]libdns.Record, 0, len(recs))
	for _, rec := range recs {
		r := rec.RR()
		name := strings.TrimSuffix(libdns.AbsoluteName(r.Name, zone), ".")
		runCtx, cancel := context.WithTimeout(ctx, timeout)
		cmd := exec.CommandContext(runCtx, p.Path, verb, strings.TrimSuffix(zone, "."), name, r.Data)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		cancel()
		if err != nil {
			return done, domain.Errorf(domain.CodeUnavailable, "dns script %s %s %s: %v: %s",
				p.Path, verb, name, err, strings.TrimSpace(out.String()))
		}
		done = append(done, rec)
	}
	return done, nil
}
