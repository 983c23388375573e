package events

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// bucketRelay holds each relay's stored position, keyed by its name. It is
// the log's own bucket (not a projection's: rebuild leaves it alone).
var bucketRelay = []byte("log_relay")

// RelayOptions configure NewRelay. The zero value is usable.
type RelayOptions struct {
	// Name keys the stored position, so relays to different buses can share
	// a log (default "bus").
	Name string
	// SaveEvery is how often, at most, the position is stored (default 1 s);
	// Run also stores it when it returns. After a crash the relay resumes
	// from the last stored position, so up to SaveEvery's worth of events is
	// published again: subscribers dedupe by event id.
	SaveEvery time.Duration
	// MinBackoff and MaxBackoff bound the wait before a failed publish is
	// retried; it doubles on each failure in a row (default 50 ms and 5 s).
	MinBackoff, MaxBackoff time.Duration
	// Chunk caps the events one read takes and one publish carries
	// (default 1024).
	Chunk int
	// OnError, if set, is called with each publish or store error, for a log
	// line and a metric. It runs on the relay's goroutine: keep it short.
	OnError func(error)
}

// RelayPosition is where a relay stands: the last event it published and how
// many events the log holds up to it.
type RelayPosition struct {
	ID    ulid.ULID
	Count uint64
}

// Relay is the outbox relay: it reads committed events from the log, by
// position, and publishes them on the watermill topics (TopicEvents,
// TopicRequests, TopicControl). The log never publishes itself and an
// append never waits on or fails by the bus: the writer only wakes the
// relay, without blocking, after each commit. Delivery is at least once,
// in log order per topic; a failed publish is retried with backoff.
type Relay struct {
	log  *Log
	pub  message.Publisher
	opts RelayOptions
	key  []byte

	running atomic.Bool
	mu      sync.Mutex // guards pos and lastErr, written by Run
	pos     RelayPosition
	lastErr error
}

// NewRelay builds a relay from l to pub, starting from its stored position
// (or, when none is stored yet, from the head l had when opened: events
// committed by this process are all published). It fails with CodeInvalid
// on a read-only log or a nil publisher.
func NewRelay(l *Log, pub message.Publisher, opts RelayOptions) (*Relay, error) {
	if l == nil || pub == nil {
		return nil, domain.Errorf(domain.CodeInvalid, "events: a relay needs a log and a publisher")
	}
	if l.opts.ReadOnly {
		return nil, domain.Errorf(domain.CodeInvalid, "events: a relay cannot run on a read-only log (it stores its position)")
	}
	if opts.Name == "" {
		opts.Name = "bus"
	}
	if opts.SaveEvery <= 0 {
		opts.SaveEvery = time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 50 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(5*time.Second, opts.MinBackoff)
	}
	if opts.Chunk <= 0 {
		opts.Chunk = 1024
	}
	r := &Relay{log: l, pub: pub, opts: opts, key: []byte(opts.Name)}
	stored, err := view(l.db, func(tx *bolt.Tx) (*RelayPosition, error) { return readRelayPosition(tx, r.key) })
	if err != nil {
		return nil, err
	}
	r.pos = RelayPosition{ID: l.openHead.ID, Count: l.openHead.Count}
	if stored != nil {
		r.pos = *stored
	}
	return r, nil
}

// Run publishes until ctx ends, then stores its position and returns nil.
// What is committed but not yet published then is published by the next
// Run, from the stored position. A publish in flight is waited for: a bus
// whose Publish never returns must be closed to stop the relay. The owner
// starts Run on a goroutine it waits for, and ends it before closing the
// log. It returns an error at once if the relay is already running
// (CodeConflict), or when the log's file is closed under it.
func (r *Relay) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return domain.Errorf(domain.CodeConflict, "events: relay %q is already running", r.opts.Name)
	}
	defer r.running.Store(false)
	wake, unsubscribe := r.log.onCommit()
	defer unsubscribe()
	save := time.NewTicker(r.opts.SaveEvery)
	defer save.Stop()
	saved := r.Position()
	store := func() error {
		pos := r.Position()
		if pos == saved {
			return nil
		}
		if err := r.log.db.Update(func(tx *bolt.Tx) error { return putRelayPosition(tx, r.key, pos) }); err != nil {
			return r.fail(fmt.Errorf("events: storing relay position: %w", err))
		}
		saved = pos
		return nil
	}
	var backoff time.Duration
	var retry *time.Timer
	for {
		if err := r.drain(ctx); err != nil {
			if errors.Is(err, bolt.ErrDatabaseNotOpen) {
				return err
			}
			backoff = min(max(2*backoff, r.opts.MinBackoff), r.opts.MaxBackoff)
			retry = time.NewTimer(backoff)
		} else {
			backoff = 0
		}
		for waiting := true; waiting; {
			var retryC <-chan time.Time
			if retry != nil {
				retryC = retry.C
			}
			select {
			case <-ctx.Done():
				if retry != nil {
					retry.Stop()
				}
				if err := store(); errors.Is(err, bolt.ErrDatabaseNotOpen) {
					return err
				}
				return nil
			case <-save.C:
				_ = store()
			case <-retryC:
				retry, waiting = nil, false
			case <-wake:
				// During a backoff a commit does not cut the wait short.
				waiting = retry != nil
			}
		}
	}
}

// drain publishes everything committed after the relay's position, a chunk
// at a time, until it is caught up, ctx ends or a publish fails.
func (r *Relay) drain(ctx context.Context) error {
	for ctx.Err() == nil {
		pos := r.Position()
		out, err := view(r.log.db, func(tx *bolt.Tx) (outbox, error) { return readOutbox(tx, pos.ID, r.opts.Chunk) })
		if err != nil {
			return r.fail(fmt.Errorf("events: relay reading the log: %w", err))
		}
		if out.read == 0 {
			return nil
		}
		if err := out.publish(r.pub); err != nil {
			return r.fail(err)
		}
		r.mu.Lock()
		r.pos = RelayPosition{ID: out.last, Count: pos.Count + uint64(out.read)}
		r.lastErr = nil
		r.mu.Unlock()
		if out.read < r.opts.Chunk {
			return nil
		}
	}
	return nil
}

func (r *Relay) fail(err error) error {
	r.mu.Lock()
	r.lastErr = err
	r.mu.Unlock()
	if r.opts.OnError != nil {
		r.opts.OnError(err)
	}
	return err
}

// Position is the last event published.
func (r *Relay) Position() RelayPosition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pos
}

// Lag is how many committed events are not published yet: the log's head
// count minus the relay's position.
func (r *Relay) Lag() uint64 {
	head, pub := r.log.committed.Load(), r.Position().Count
	if pub >= head {
		return 0
	}
	return head - pub
}

// Err is the last publish or store error, nil once a publish succeeds again.
func (r *Relay) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// readRelayPosition returns the position stored under key, nil when none is.
func readRelayPosition(tx *bolt.Tx, key []byte) (*RelayPosition, error) {
	b := tx.Bucket(bucketRelay)
	if b == nil {
		return nil, nil
	}
	v := b.Get(key)
	if v == nil {
		return nil, nil
	}
	if len(v) != 16+8 {
		return nil, fmt.Errorf("events: corrupt relay position %q (%d bytes)", key, len(v))
	}
	p := &RelayPosition{Count: binary.BigEndian.Uint64(v[16:])}
	copy(p.ID[:], v[:16])
	return p, nil
}

func putRelayPosition(tx *bolt.Tx, key []byte, p RelayPosition) error {
	b, err := tx.CreateBucketIfNotExists(bucketRelay)
	if err != nil {
		return err
	}
	return b.Put(key, binary.BigEndian.AppendUint64(append([]byte(nil), p.ID[:]...), p.Count))
}
