package certs

import (
	"context"
	"sync"
	"time"

	"warren/domain"
)

// backoff keeps a name whose on-demand order failed from being ordered
// again at the next handshake. Without it every handshake for a verified
// domain whose DNS points elsewhere starts a new order, and the CA counts
// failed validations (Let's Encrypt: 5 per name and account an hour).
// The wait starts at a minute and doubles up to an hour; a certificate
// obtained for the name forgets it.
type backoff struct {
	now   func() time.Time
	mu    sync.Mutex
	names map[string]failure
}

type failure struct {
	until time.Time
	wait  time.Duration
}

const (
	firstWait = time.Minute
	maxWait   = time.Hour
)

func newBackoff(now func() time.Time) *backoff {
	if now == nil {
		now = time.Now
	}
	return &backoff{now: now, names: map[string]failure{}}
}

// check is nil unless name failed and its wait is not over (CodeQuota).
func (b *backoff) check(name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, ok := b.names[name]
	if ok && b.now().Before(f.until) {
		return domain.Errorf(domain.CodeQuota, "certificate for %q failed lately; next try after %s", name, f.until.UTC().Format(time.RFC3339))
	}
	return nil
}

func (b *backoff) failed(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.names[name]
	f.wait = min(max(2*f.wait, firstWait), maxWait)
	f.until = b.now().Add(f.wait)
	b.names[name] = f
}

func (b *backoff) obtained(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.names, name)
}

// onEvent feeds certmagic's obtain results into b.
func (b *backoff) onEvent(_ context.Context, event string, data map[string]any) error {
	name, _ := data["identifier"].(string)
	switch event {
	case "cert_failed":
		// A failed renewal leaves the current certificate serving and
		// certmagic retrying on its own: no reason to refuse the name.
		if renewal, _ := data["renewal"].(bool); !renewal {
			b.failed(name)
		}
	case "cert_obtained":
		b.obtained(name)
	}
	return nil
}

// emits says which certmagic events the source listens to: certmagic
// builds an event's data only when something listens.
func emits(event string) bool {
	return event == "cert_failed" || event == "cert_obtained" || event == "cached_managed_cert"
}
