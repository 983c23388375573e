package owners

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Heartbeat renews every name this edge holds. A name whose revision
// moved on (it lapsed and another edge claimed it) or that is gone (it
// lapsed) is dropped from the held set and reported to OnLost: the table
// never lets two edges believe they hold one name for longer than it
// takes this edge to reach NATS again. It returns the first error of a
// renewal that could not be made (NATS unreachable); those names are kept
// and tried again on the next beat.
func (t *Table) Heartbeat(ctx context.Context) error {
	t.mu.Lock()
	names := make(map[string]uint64, len(t.held))
	for n, rev := range t.held {
		names[n] = rev
	}
	t.mu.Unlock()
	var first error
	for name, rev := range names {
		next, err := t.kv.Update(ctx, name, t.self, rev)
		t.mu.Lock()
		cur, still := t.held[name]
		switch {
		case !still || cur != rev:
			// Released or claimed again meanwhile: not this beat's business.
		case err == nil:
			t.held[name] = next
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyNotFound):
			delete(t.held, name)
			t.mu.Unlock()
			if t.cfg.OnLost != nil {
				t.cfg.OnLost(name)
			}
			continue
		default:
			if first == nil {
				first = err
			}
		}
		t.mu.Unlock()
	}
	return first
}

// Run beats every TTL/3 until ctx ends: a beat lost to a short outage
// leaves two more before a name lapses.
func (t *Table) Run(ctx context.Context) {
	tick := time.NewTicker(t.cfg.TTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			bctx, cancel := context.WithTimeout(ctx, t.cfg.TTL/3)
			t.Heartbeat(bctx)
			cancel()
		}
	}
}
