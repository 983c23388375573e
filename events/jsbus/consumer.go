package jsbus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/events"
)

// ConsumerConfig configures the control plane's capture Consumer.
type ConsumerConfig struct {
	// Bus is the connection; Bus.Durable names the durable consumer
	// (default "control"): a restarted control plane resumes after its
	// last ack.
	Bus Config
	// Workers is how many captures are appended at once (default 64):
	// their appends share the log's group commits, where one at a time
	// would cost an fsync each.
	Workers int
	// Logf reports captures that cannot be decoded (default: none).
	Logf func(format string, args ...any)
	// OnAppended, if set, is called with each capture appended (not with
	// repeats), after its append returned: for a latency metric (now
	// minus the capture's At) and the benchmark. It must not block.
	OnAppended func(key ulid.ULID, ev events.Event)
}

// Consumer appends the edges' captures to the log: each once, however
// often JetStream delivers it (AppendOnce under its key), and acked only
// after the append returned, so after its fsync: a control plane killed
// at any point loses no acknowledged capture and doubles none.
type Consumer struct {
	sub      *Subscriber
	log      *events.Log
	logf     func(string, ...any)
	appendCB func(ulid.ULID, events.Event)
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	appended atomic.Uint64
	repeated atomic.Uint64
	rejected atomic.Uint64
}

// ConsumerStats is what a Consumer reports for metrics.
type ConsumerStats struct {
	// Appended counts captures appended; Repeated those delivered again
	// and found in the log; Rejected those that could not be decoded
	// (acknowledged and logged, never appended).
	Appended, Repeated, Rejected uint64
}

// StartConsumer subscribes to the captures topic with cfg.Workers
// subscriptions on one durable consumer and appends what arrives to log
// until Close. CodeUnavailable when NATS cannot be reached.
func StartConsumer(cfg ConsumerConfig, log *events.Log) (*Consumer, error) {
	if cfg.Bus.Durable == "" {
		cfg.Bus.Durable = "control"
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	cfg.Bus.defaults()
	// A failed append (the log closing, a full disk) comes back after a
	// pause, not in a hot loop.
	sub, err := newSubscriber(cfg.Bus, 250*time.Millisecond)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Consumer{sub: sub, log: log, logf: cfg.Logf, appendCB: cfg.OnAppended, cancel: cancel}
	for range cfg.Workers {
		ch, err := sub.Subscribe(ctx, TopicCaptures)
		if err != nil {
			c.Close()
			return nil, domain.Errorf(domain.CodeUnavailable, "subscribing to captures: %v", err)
		}
		c.wg.Add(1)
		go c.work(ch)
	}
	return c, nil
}

// work appends each capture from ch, then acks it.
func (c *Consumer) work(ch <-chan *message.Message) {
	defer c.wg.Done()
	for m := range ch {
		key, d, err := events.UnmarshalDraft(m.Payload)
		if err != nil || key.String() != m.UUID {
			// Never appendable: redelivering it would loop for ever.
			c.rejected.Add(1)
			c.logf("capture %s rejected: %v", m.UUID, err)
			m.Ack()
			continue
		}
		ev, appended, err := c.log.AppendOnce(m.Context(), key, d)
		if err != nil {
			m.Nack()
			continue
		}
		if appended {
			c.appended.Add(1)
			if c.appendCB != nil {
				c.appendCB(key, ev)
			}
		} else {
			c.repeated.Add(1)
		}
		m.Ack()
	}
}

// Stats reports the consumer's counters.
func (c *Consumer) Stats() ConsumerStats {
	return ConsumerStats{Appended: c.appended.Load(), Repeated: c.repeated.Load(), Rejected: c.rejected.Load()}
}

// Close stops consuming and waits for the workers; a capture being
// appended is finished (its ack may be lost: it comes again, a no-op).
// The log must be closed after.
func (c *Consumer) Close() error {
	c.cancel()
	err := c.sub.Close()
	c.wg.Wait()
	return err
}
