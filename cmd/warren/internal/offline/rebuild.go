package main

import (
	"context"
	"fmt"
	"time"

	"warren/events"
	"warren/projections"
)

// runRebuild is `warren rebuild`: offline, it drops every projection bucket
// and replays the log through the same apply functions as the live path.
func runRebuild(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "rebuild", "rebuild [--data DIR]")
	data := dataFlag(e, fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	l, err := openLog(*data, openOptions{noCatchUp: true}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	head, err := l.Head()
	if err != nil {
		return err
	}
	var bar *progressBar
	if isTerminal(e.stdout) {
		bar = newProgressBar(e.stdout, "rebuilding", head.Count)
	}
	start := time.Now()
	n, err := projections.Rebuild(l.DB(), func(done, total uint64) {
		if bar != nil {
			bar.total = total
		}
		bar.set(done)
	})
	bar.done()
	if err != nil {
		return fmt.Errorf("rebuild stopped after %d events: %w", n, err)
	}
	took := time.Since(start)
	fmt.Fprintf(e.stdout, "rebuilt projections from %d events in %s (%.0f events/s)\n",
		n, took.Round(time.Millisecond), float64(n)/max(took.Seconds(), 1e-9))
	return nil
}
