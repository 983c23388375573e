package edge

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"warren/domain"
	"warren/edge/wire"
	"warren/events"
)

func contextWithExchange(ctx context.Context, x *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, x)
}

// capturer appends captured exchanges off the proxy's path: a bounded queue
// feeds a few appenders, each appending what has piled up as one batch (the
// log group-commits the batches into shared fsyncs). A full queue makes put
// wait, so under overload the proxy slows and nothing is dropped. The queue
// is bounded twice: by count, and by the bytes of the bodies it holds, since
// 4096 exchanges with a pro plan's two 10 MiB bodies would be 80 GiB.
type capturer struct {
	log    CaptureSink // capture_sink.go: the log, or the control plane's sender
	q      chan captureItem
	bytes  *byteBudget
	logger *slog.Logger
	wg     sync.WaitGroup
	mu     sync.RWMutex // held for reading by put, for writing by close
	closed bool

	appended, failed, batches atomic.Int64
	waitNs                    atomic.Int64 // time put spent waiting on a full queue
}

// CaptureStats are the capture pipeline's counters since start.
type CaptureStats struct {
	Queued      int           // waiting to be appended now
	QueuedBytes int64         // their bodies' bytes, and those of the batches being appended
	Appended    int64         // events appended
	Failed      int64         // captures whose append failed: lost (each batch logged)
	Unwritable  int64         // public requests refused (503) while Config.Writable reported an error
	Batches     int64         // Append calls
	Waited      time.Duration // total time the proxy waited on a full queue
}

// CaptureStats reports the capture pipeline's counters.
func (s *Server) CaptureStats() CaptureStats {
	c := s.cap
	return CaptureStats{Queued: len(c.q), QueuedBytes: c.bytes.inUse(), Appended: c.appended.Load(), Failed: c.failed.Load(),
		Batches: c.batches.Load(), Waited: time.Duration(c.waitNs.Load()), Unwritable: s.unwritable.Load()}
}

// captureItem is a captured exchange waiting to be appended, with the agent
// session to tell (nil: nobody asked) once it has its id.
type captureItem struct {
	draft events.Draft
	sess  *session
	line  wire.Msg
}

// size is the bytes an item holds: its bodies.
func (it captureItem) size() int {
	n := 0
	for _, b := range it.draft.Bodies {
		n += len(b)
	}
	return n
}

// maxBatch and maxBatchBytes bound one appender's batch: big enough to
// amortise a commit, small enough that one batch's bodies stay a few MiB.
const (
	maxBatch      = 1024
	maxBatchBytes = 8 << 20
)

// lingerFor is how long an appender waits to fill a batch.
const lingerFor = 20 * time.Millisecond

// maxQueuedBytes bounds the body bytes held between the proxy and the log:
// many times what a commit carries (maxBatchBytes per batch), a fraction of
// a server's memory.
const maxQueuedBytes = 256 << 20

func newCapturer(log CaptureSink, size, appenders int, logger *slog.Logger) *capturer {
	c := &capturer{log: log, q: make(chan captureItem, size), bytes: newByteBudget(maxQueuedBytes), logger: logger}
	for range appenders {
		c.wg.Add(1)
		go c.appender()
	}
	return c
}

func (c *capturer) appender() {
	defer c.wg.Done()
	batch := make([]captureItem, 0, maxBatch)
	drafts := make([]events.Draft, 0, maxBatch)
	for it := range c.q {
		batch = append(batch[:0], it)
		size := it.size()
		// Linger for more: one commit per few hundred events costs far less
		// than one per event, and nobody waits on these appends. Asleep,
		// not receiving: a receive per item would wake this goroutine for
		// every public request.
		if len(c.q) < maxBatch {
			time.Sleep(lingerFor)
		}
	fill:
		for len(batch) < maxBatch && size < maxBatchBytes {
			select {
			case it, ok := <-c.q:
				if !ok {
					break fill
				}
				batch = append(batch, it)
				size += it.size()
			default:
				break fill
			}
		}
		drafts = drafts[:0]
		for _, it := range batch {
			drafts = append(drafts, it.draft)
		}
		c.batches.Add(1)
		evs, err := c.log.Append(context.Background(), drafts...)
		if err != nil {
			c.failed.Add(int64(len(batch)))
			c.logger.Error("captured requests are lost: appending them failed", "count", len(batch), "failed_total", c.failed.Load(), "err", err)
		} else {
			c.appended.Add(int64(len(batch)))
			for i, it := range batch {
				if it.sess != nil && i < len(evs) {
					it.line.Request.ID = domain.RequestIDPrefix + evs[i].ID.String()
					it.sess.notify(it.line)
				}
			}
		}
		// The bodies stay in memory until the append returns: only then is
		// their room given back.
		c.bytes.release(int64(size))
		clear(batch)
		clear(drafts)
	}
}

// put queues d, waiting while the queue is full. After close it appends
// synchronously so late exchanges are still recorded.
func (c *capturer) put(d captureItem) {
	c.mu.RLock()
	if !c.closed {
		if waited := c.bytes.acquire(int64(d.size())); waited > 0 {
			c.waitNs.Add(int64(waited))
		}
		select {
		case c.q <- d:
		default:
			t0 := time.Now()
			c.q <- d
			c.waitNs.Add(int64(time.Since(t0)))
		}
		c.mu.RUnlock()
		return
	}
	c.mu.RUnlock()
	if _, err := c.log.Append(context.Background(), d.draft); err != nil {
		c.failed.Add(1)
		c.logger.Error("a captured request is lost: appending it failed", "err", err)
	} else {
		c.appended.Add(1)
	}
}

// close stops the queue and waits for the appenders to drain it.
func (c *capturer) close(ctx context.Context) error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.q)
	}
	c.mu.Unlock()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// byteBudget admits bytes up to a limit, making acquire wait for release
// beyond it. One item larger than the whole budget is admitted alone, so it
// waits for the rest to drain rather than forever.
type byteBudget struct {
	mu              sync.Mutex
	freed           *sync.Cond
	used, max, peak int64
}

func newByteBudget(max int64) *byteBudget {
	b := &byteBudget{max: max}
	b.freed = sync.NewCond(&b.mu)
	return b
}

// acquire takes n bytes, waiting while they do not fit; it returns how long
// it waited. Bodiless exchanges (n == 0) pass without the lock.
func (b *byteBudget) acquire(n int64) time.Duration {
	if n == 0 {
		return 0
	}
	var t0 time.Time
	b.mu.Lock()
	for b.used > 0 && b.used+n > b.max {
		if t0.IsZero() {
			t0 = time.Now()
		}
		b.freed.Wait()
	}
	b.used += n
	b.peak = max(b.peak, b.used)
	b.mu.Unlock()
	if t0.IsZero() {
		return 0
	}
	return time.Since(t0)
}

func (b *byteBudget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.freed.Broadcast()
}

func (b *byteBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
