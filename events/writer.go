package events

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// maxGather caps the gathering pause, so a slow fsync (a stalled disk) does
// not make the writer spin for long.
const maxGather = 2 * time.Millisecond

// maxSpin caps the part of the pause spent yielding rather than blocked.
const maxSpin = 200 * time.Microsecond

// errNothingWritten rolls back a transaction in which no request appended.
var errNothingWritten = errors.New("events: nothing written")

// writer is the one goroutine that writes: it drains the append queue into
// group-committed transactions, one fsync for many appenders, until Close.
func (l *Log) writer() {
	defer close(l.stopped)
	batch := make([]*appendReq, 0, l.opts.MaxBatch)
	stopping := false
	// The size and duration of the last commit steer how long to gather.
	lastBatch, lastCommit := 0, time.Duration(0)
	for {
		var first *appendReq
		if stopping {
			// Close holds off new requests: drain what is queued, in batches, then stop.
			select {
			case first = <-l.queue:
			default:
				return
			}
		} else {
			select {
			case first = <-l.queue:
			case <-l.stop:
				stopping = true
				continue
			}
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < l.opts.MaxBatch {
			select {
			case r := <-l.queue:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		// The requests just acknowledged tend to come straight back: wait a
		// little for them so they share this fsync rather than the next.
		// A lone sequential appender (lastBatch 1) never waits. Expected back
		// are the requests just acknowledged plus those already queued when
		// they were (other appenders').
		var g *gatherer
		if !stopping && lastBatch > 1 && len(batch) < l.opts.MaxBatch {
			g = newGatherer(l, min(l.queuedAtAck+lastBatch, l.opts.MaxBatch), min(lastCommit, maxGather))
		}
		start := time.Now()
		batch = l.commit(batch, g)
		lastBatch, lastCommit = len(batch), time.Since(start)
		if g != nil {
			lastCommit -= g.waited
		}
	}
}

// gatherer waits, inside the write transaction, for the batch to reach want
// requests or the wait to pass. The transaction is open meanwhile, so each
// request that arrives is encoded and put while the rest are still on their
// way: the writer's work overlaps the appenders' return instead of following
// it. Appenders just acknowledged come back within microseconds; without
// this pause the writer would commit the first few alone and the rest in the
// next fsync, alternating small and full batches and halving throughput under
// load. wait is at most the last commit's duration: want is what is expected
// back, so the wait runs out only when fewer return (the load fell), and a
// lone appender never gathers. With 64 appenders on 2 cores the last ones
// take about a third of a commit to return; a quarter of one (the earlier
// wait) sent a few into the next fsync each time. It first yields rather
// than sleeps (Go timers below 1 ms round up to 1 ms when the process is
// otherwise idle, which would cost more than a fast fsync), then, for a slow
// disk, blocks so a busy CPU is not spun on.
type gatherer struct {
	l                   *Log
	want                int
	deadline, spinUntil time.Time
	timer               *time.Timer
	waited              time.Duration // spent waiting (not writing)
}

func newGatherer(l *Log, want int, wait time.Duration) *gatherer {
	now := time.Now()
	return &gatherer{l: l, want: want, deadline: now.Add(wait), spinUntil: now.Add(min(wait, maxSpin))}
}

// more appends what has arrived to batch, waiting for at least one request
// unless the batch is complete or the time is up; it returns batch unchanged
// when there is no more to wait for.
func (g *gatherer) more(batch []*appendReq) []*appendReq {
	if g == nil {
		return batch
	}
	t0 := time.Now()
	defer func() { g.waited += time.Since(t0) }()
	for len(batch) < g.want {
		n := len(batch)
	drain:
		for len(batch) < g.want {
			select {
			case r := <-g.l.queue:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		if len(batch) > n {
			return batch
		}
		now := time.Now()
		if now.After(g.deadline) {
			return batch
		}
		if now.Before(g.spinUntil) {
			runtime.Gosched()
			continue
		}
		if g.timer == nil {
			g.timer = time.NewTimer(g.deadline.Sub(now))
		}
		select {
		case r := <-g.l.queue:
			return append(batch, r)
		case <-g.timer.C:
			g.deadline = now // the time is up
			return batch
		}
	}
	return batch
}

func (g *gatherer) stop() {
	if g != nil && g.timer != nil {
		g.timer.Stop()
	}
}

// commit writes a batch, grown by g while its transaction is open, in one
// transaction, and returns the batch committed. If the transaction fails as
// a whole, each request is retried alone so one bad request fails only
// itself.
func (l *Log) commit(batch []*appendReq, g *gatherer) []*appendReq {
	batch, err := l.commitTx(batch, g)
	g.stop()
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			l.commit([]*appendReq{r}, nil)
		}
		return batch
	}
	for _, r := range batch {
		if err != nil {
			r.evs, r.err = nil, err
		}
	}
	l.queuedAtAck = len(l.queue)
	for _, r := range batch {
		r.done.Done()
	}
	return batch
}

// commitTx writes batch, and whatever g gathers meanwhile, in one
// transaction, and returns everything it took from the queue, committed or
// not.
func (l *Log) commitTx(batch []*appendReq, g *gatherer) ([]*appendReq, error) {
	head := l.head
	// inner is what the batch itself returned: any other error from Update
	// comes from bbolt's commit (page writes, file growth, fsync).
	var inner error
	err := l.db.Update(func(btx *bolt.Tx) (err error) {
		defer func() { inner = err }()
		// A panicking command or applier fails its batch, not the server.
		defer func() {
			if p := recover(); p != nil {
				err = &domain.Error{Code: domain.CodeInternal, Message: "append failed", Err: fmt.Errorf("panic: %v", p)}
			}
		}()
		w := &txWriter{l: l, btx: btx, head: head, events: btx.Bucket(bucketEvents)}
		// Keys only ever grow, so pages split full rather than half empty
		// (bbolt's default), which halves the file and what rebuild maps.
		w.events.FillPercent = 1.0
		// One buffer for the batch's stored bytes rather than one allocation
		// per event. bbolt keeps the slices until commit, so a full buffer
		// is replaced, never reused.
		w.slab = make([]byte, 0, max(4<<10, l.slabHint+l.slabHint/8))
		for i := 0; ; {
			w.tx = &Tx{Tx: btx, log: l, now: l.opts.Now().UTC()}
			for ; i < len(batch); i++ {
				if err := w.write(batch[i]); err != nil {
					return err
				}
			}
			if batch = g.more(batch); i == len(batch) {
				break
			}
		}
		l.slabHint = w.encoded
		if w.head == head {
			// Every request failed or decided nothing: roll back rather
			// than commit an unchanged head, which costs a page write and
			// an fsync for nothing.
			return errNothingWritten
		}
		head = w.head
		return putHead(btx, head)
	})
	if errors.Is(err, errNothingWritten) {
		return batch, nil
	}
	if err != nil {
		if err != inner {
			l.writeErr.Store(&domain.Error{Code: domain.CodeUnavailable, Message: "the event log cannot write", Err: err})
		}
		return batch, err
	}
	l.writeErr.Store(nil)
	l.head = head
	l.committed.Store(head.Count)
	// Wake the relay (never blocking): it publishes from the log.
	l.notifyCommit()
	return batch, nil
}

// txWriter is one transaction's state while its requests are written.
type txWriter struct {
	l              *Log
	btx            *bolt.Tx
	tx             *Tx
	events, bodies *bolt.Bucket
	head           Head
	slab           []byte
	encoded        int
	// evSlab holds the batch's events, handed out in capped slices: one
	// allocation per batch rather than one per request. Like slab, a full
	// one is replaced, never reused.
	evSlab []Event
}

// take returns room for n events.
func (w *txWriter) take(n int) []Event {
	if len(w.evSlab)+n > cap(w.evSlab) {
		w.evSlab = make([]Event, 0, max(n, 64))
	}
	a, b := len(w.evSlab), len(w.evSlab)+n
	w.evSlab = w.evSlab[:b]
	return w.evSlab[a:b:b]
}

// write runs r's command (if any), stores its events and applies them to the
// projections. A command's error fails r alone; any other error aborts the
// transaction.
func (w *txWriter) write(r *appendReq) error {
	l := w.l
	r.evs, r.err = nil, nil
	drafts := r.drafts
	if r.cmd != nil {
		var err error
		if drafts, err = r.cmd(w.tx); err != nil {
			r.err = err
			return nil
		}
	}
	if len(drafts) == 0 {
		return nil
	}
	now := w.tx.now
	evs := w.take(len(drafts))
	for i := range drafts {
		d := &drafts[i]
		ev := &evs[i]
		ev.ID = l.nextID(now)
		ev.Type, ev.Account, ev.Version, ev.Prev = d.Type, d.Account, d.version(), w.head.Hash
		ev.At = d.At.UTC()
		if d.At.IsZero() {
			ev.At = now
		}
		if d.encoded {
			ev.Data, ev.value = d.Data.(json.RawMessage), d.value
		} else if data, err := marshalData(d.Data); err != nil {
			// Before anything of r was applied, but puts may have happened:
			// abort the batch, which is retried one request at a time.
			r.err = &domain.Error{Code: domain.CodeInternal, Message: "encoding event data", Err: err}
			return r.err
		} else {
			ev.Data = data
			if _, raw := d.Data.(json.RawMessage); !raw {
				ev.value = d.Data
			}
		}
		if len(w.slab)+minEncodedV1+len(ev.Type)+len(ev.Account)+len(ev.Data) > cap(w.slab) {
			w.slab = make([]byte, 0, max(16<<10, minEncodedV1+len(ev.Type)+len(ev.Account)+len(ev.Data)))
		}
		start := len(w.slab)
		var err error
		if w.slab, err = appendEncoded(w.slab, ev); err != nil {
			r.err = &domain.Error{Code: domain.CodeInternal, Message: "encoding event", Err: err}
			return r.err
		}
		raw := w.slab[start:len(w.slab):len(w.slab)]
		w.encoded += len(raw)
		for j, body := range d.Bodies {
			if len(body) == 0 {
				continue // empty: nothing to store, Body says ok=false
			}
			if !d.compressed {
				body = l.codec.Compress(body)
			}
			if w.bodies == nil {
				w.bodies = w.btx.Bucket(bucketBodies)
				w.bodies.FillPercent = 1.0
			}
			if err := w.bodies.Put(bodyKey(ev.ID, j), body); err != nil {
				return err
			}
		}
		if err := w.events.Put(ev.ID[:], raw); err != nil {
			return err
		}
		if err := w.recordKey(d.key, ev.ID); err != nil {
			return err
		}
		w.head = Head{Count: w.head.Count + 1, ID: ev.ID, Hash: sha256.Sum256(raw)}
	}
	if l.opts.Applier != nil {
		if err := l.opts.Applier.Apply(w.btx, evs); err != nil {
			return fmt.Errorf("applying %d events to projections: %w", len(evs), err)
		}
	}
	r.evs = evs
	return nil
}

// JSONAppender is event data that encodes itself, exactly as encoding/json
// would but without reflection: the payloads appended once per public
// request implement it.
type JSONAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

func marshalData(v any) (json.RawMessage, error) {
	switch d := v.(type) {
	case nil:
		return json.RawMessage("{}"), nil
	case json.RawMessage:
		// jsontext's check is three times faster than json.Valid, and
		// stricter the way projections decode (valid UTF-8, no duplicate
		// names), so what it admits they can read.
		if !jsontext.Value(d).IsValid() {
			return nil, errors.New("raw event data is not valid JSON")
		}
		return d, nil
	case JSONAppender:
		return d.AppendJSON(make([]byte, 0, 1024))
	}
	return json.Marshal(v)
}

func bodyKey(id ulid.ULID, part int) []byte {
	k := make([]byte, 17)
	copy(k, id[:])
	k[16] = byte(part)
	return k
}
