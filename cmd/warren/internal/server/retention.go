package server

import (
	"context"
	"sync"
	"time"

	"warren/events"
	"warren/projections"
)

// retentionBatch bounds the requests one prune transaction touches, so the
// sweep never holds the writer for long.
const retentionBatch = 2000

// retention runs the body-retention sweep at start and then every interval,
// until stopped.
type retention struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func startRetention(l *events.Log, cfg Config) *retention {
	ctx, cancel := context.WithCancel(context.Background())
	r := &retention{cancel: cancel}
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		t := time.NewTicker(cfg.RetentionEvery)
		defer t.Stop()
		for {
			n, err := projections.SweepBodies(ctx, l, cfg.Now(), retentionBatch, cfg.RetainEventsDays)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				cfg.Logger.Error("retention sweep failed", "err", err)
			case n > 0:
				cfg.Logger.Info("retention pruned captured bodies", "requests", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return r
}

// stop ends the sweep and waits for it, before the log closes.
func (r *retention) stop() {
	if r != nil {
		r.cancel()
		r.done.Wait()
	}
}
