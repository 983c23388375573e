package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/events"
)

// runEvents is `warren events verify|tail`.
func runEvents(ctx context.Context, e *env, args []string) error {
	return subcommand(ctx, e, "events", map[string]command{
		"verify": {summary: "walk the hash chain; exit 1 naming the first bad event", run: runEventsVerify},
		"tail":   {summary: "print events as JSON lines (--follow to keep polling)", run: runEventsTail},
		"list":   {summary: "your account's audit trail over the API (--type, --follow, --all)", run: runEventsList}, // audit_events.go
	}, args)
}

// runEventsVerify exits 0 printing the count and head hash, or 1 naming the
// first event whose encoding, id or hash is wrong.
func runEventsVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "events verify", "events verify [--data DIR] [--checkpoint FILE [--public-key-file F]] [--public-key [--domain D]]")
	data := dataFlag(e, fs)
	ck := addCheckpointFlags(e, fs) // audit_checkpoint.go
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if handled, err := ck.run(e, *data); handled {
		return err
	}
	l, err := openLog(*data, openOptions{readOnly: true}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	var bar *progressBar
	if isTerminal(e.stderr) {
		total, _ := l.Head() // the recorded head; Verify checks it against the chain
		bar = newProgressBar(e.stderr, "verifying", total.Count)
	}
	start := time.Now()
	head, err := l.Verify(func(n uint64) { bar.set(n) })
	bar.done()
	var ve *events.VerifyError
	if errors.As(err, &ve) {
		fmt.Fprintf(e.stdout, "BROKEN at event #%d %s: %s\n", ve.Index, ve.ID, ve.Reason)
		return &exitError{code: 1, err: fmt.Errorf("the log is broken at event #%d %s: %s", ve.Index, ve.ID, ve.Reason)}
	}
	if err != nil {
		return err
	}
	headID := "-"
	if head.Count > 0 {
		headID = head.ID.String()
	}
	fmt.Fprintf(e.stdout, "ok: %d events verified in %s\nhead: %s\nhead hash: %s\n",
		head.Count, time.Since(start).Round(time.Millisecond), headID, head.HashHex())
	return nil
}

// runEventsTail prints the last --limit events oldest first, then with
// --follow polls the log every 200 ms for newer ones until interrupted.
func runEventsTail(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "events tail", "events tail [--data DIR] [--limit N] [--follow]")
	data := dataFlag(e, fs)
	limit := fs.Int("limit", 10, "print the last N events (0: the whole log)")
	follow := fs.Bool("follow", false, "keep printing new events as they are appended")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// bbolt locks the file for one process with a writer, so this fails
	// clearly (within 2 s) while a server holds the data dir.
	l, err := openLog(*data, openOptions{readOnly: true}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	enc := json.NewEncoder(e.stdout)
	var last ulid.ULID
	if *limit > 0 {
		evs, err := l.ReadBackward(ulid.ULID{}, *limit)
		if err != nil {
			return err
		}
		slices.Reverse(evs)
		for _, ev := range evs {
			if err := enc.Encode(ev); err != nil {
				return err
			}
			last = ev.ID
		}
	} else if err := l.ReadFrom(last, func(ev events.Event) error {
		last = ev.ID
		return enc.Encode(ev)
	}); err != nil {
		return err
	}
	if !*follow {
		return nil
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := l.ReadFrom(last, func(ev events.Event) error {
			last = ev.ID
			return enc.Encode(ev)
		}); err != nil {
			return err
		}
	}
}
