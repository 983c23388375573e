package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/edge"
	"warren/events"
	"warren/events/jsbus"
)

// senderSink is the edge's CaptureSink on a node without the log: each
// capture gets a key of the edge's own (a ULID) and goes to the jsbus
// Sender's spool, from which it is published to the control plane, whose
// Consumer appends it once under that key. Append returns once the
// captures are on the spool, never waiting for NATS.
type senderSink struct {
	snd *jsbus.Sender
	now func() time.Time
	mu  sync.Mutex
	ent *ulid.MonotonicEntropy
}

func newSenderSink(snd *jsbus.Sender, now func() time.Time) *senderSink {
	return &senderSink{snd: snd, now: now, ent: ulid.Monotonic(rand.Reader, 0)}
}

func (s *senderSink) key() ulid.ULID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ulid.MustNew(ulid.Timestamp(s.now()), s.ent)
}

// Append spools each draft in order. The events it returns carry the keys
// as IDs, so the agent hears the key as the request's id; the control
// plane's event id differs (docs/scale-out.md). On the first refusal (the
// spool is full: CodeQuota, counted by the Sender) it stops, since the
// rest would be refused too, and returns the error.
func (s *senderSink) Append(_ context.Context, drafts ...events.Draft) ([]events.Event, error) {
	out := make([]events.Event, 0, len(drafts))
	for _, d := range drafts {
		k := s.key()
		if err := s.snd.Send(k, d); err != nil {
			return out, err
		}
		out = append(out, events.Event{ID: k, Type: d.Type, Account: d.Account, At: s.now().UTC()})
	}
	return out, nil
}

// startSender opens the capture spool under <data>/spool and starts
// publishing it to NATS at url (it need not be up yet).
func (m *Main) startSender(url string) (*jsbus.Sender, error) {
	snd, err := jsbus.NewSender(jsbus.SenderConfig{
		Bus:      m.natsConfig(url, "warren-edge-captures"),
		SpoolDir: filepath.Join(m.cfg.DataDir, "spool"),
		Logf: func(format string, args ...any) {
			m.cfg.Logger.Warn("capture sender: " + fmt.Sprintf(format, args...))
		},
	})
	if err != nil {
		return nil, fmt.Errorf("starting the capture sender: %w", err)
	}
	return snd, nil
}

// captureSink is what the edge records captures with: the log (nil) unless
// captures go over NATS (control.sendCaptures, set by tests to run the
// edge's path through JetStream in one process).
func (m *Main) captureSink() edge.CaptureSink {
	if m.control.sender == nil {
		return nil
	}
	return newSenderSink(m.control.sender, m.cfg.Now)
}

// errEdgeNotWired is what --role edge answers until an edge can check keys
// and open tunnels over the control plane's API (docs/scale-out.md).
func errEdgeNotWired() error {
	return domain.Errorf(domain.CodeUnavailable, "--role edge cannot start yet: checking agents' keys and opening tunnels over the control plane's API is not built (docs/scale-out.md, Still to build); run --role all or control")
}
