package offline

import (
	"context"
	"fmt"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server"
	"warren/events"
	"warren/projections"
)

// RunRebuild is `warren rebuild`: offline, it drops every projection bucket
// and replays the log through the same apply functions as the live path.
func RunRebuild(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "rebuild", "rebuild [--data DIR]")
	data := command.DataFlag(e, fs)
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if err := requireLog(*data, false); err != nil {
		return err
	}
	l, err := server.OpenLog(*data, server.OpenOptions{NoCatchUp: true}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	head, err := l.Head()
	if err != nil {
		return err
	}
	var bar *progressBar
	if isTerminal(e.Stdout) {
		bar = newProgressBar(e.Stdout, "rebuilding", head.Count)
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
	fmt.Fprintf(e.Stdout, "rebuilt projections from %d events in %s (%.0f events/s)\n",
		n, took.Round(time.Millisecond), float64(n)/max(took.Seconds(), 1e-9))
	return nil
}
