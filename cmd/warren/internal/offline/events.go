package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server"
	"warren/events"
)

// RunEventsVerify exits 0 printing the count and head hash, or 1 naming the
// first event whose encoding, id or hash is wrong.
func RunEventsVerify(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "events verify", "events verify [--data DIR] [--checkpoint FILE [--public-key-file F]] [--public-key [--domain D]]")
	data := command.DataFlag(e, fs)
	ck := addCheckpointFlags(e, fs) // checkpoint.go
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if handled, err := ck.run(e, *data); handled {
		return err
	}
	if err := requireLog(*data, false); err != nil {
		return err
	}
	l, err := server.OpenLog(*data, server.OpenOptions{ReadOnly: true}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	var bar *progressBar
	if isTerminal(e.Stderr) {
		total, _ := l.Head() // the recorded head; Verify checks it against the chain
		bar = newProgressBar(e.Stderr, "verifying", total.Count)
	}
	start := time.Now()
	head, err := l.Verify(func(n uint64) { bar.set(n) })
	bar.done()
	var ve *events.VerifyError
	if errors.As(err, &ve) {
		fmt.Fprintf(e.Stdout, "BROKEN at event #%d %s: %s\n", ve.Index, ve.ID, ve.Reason)
		return &command.ExitError{Code: 1, Err: fmt.Errorf("the log is broken at event #%d %s: %s", ve.Index, ve.ID, ve.Reason)}
	}
	if err != nil {
		return err
	}
	headID := "-"
	if head.Count > 0 {
		headID = head.ID.String()
	}
	fmt.Fprintf(e.Stdout, "ok: %d events verified in %s\nhead: %s\nhead hash: %s\n",
		head.Count, time.Since(start).Round(time.Millisecond), headID, head.HashHex())
	return nil
}

// RunEventsTail prints the last --limit events oldest first, then with
// --follow polls the log every 200 ms for newer ones until interrupted.
func RunEventsTail(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "events tail", "events tail [--data DIR] [--limit N] [--follow]")
	data := command.DataFlag(e, fs)
	limit := fs.Int("limit", 10, "print the last N events (0: the whole log)")
	follow := fs.Bool("follow", false, "keep printing new events as they are appended")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	// bbolt locks the file for one process with a writer, so this fails
	// clearly (within 2 s) while a server holds the data dir.
	if err := requireLog(*data, false); err != nil {
		return err
	}
	l, err := server.OpenLog(*data, server.OpenOptions{ReadOnly: true}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	enc := json.NewEncoder(e.Stdout)
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
