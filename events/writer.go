package events

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// maxGather caps the gathering pause, so a slow fsync (a stalled disk) does
// not make the writer spin for long.
const maxGather = 2 * time.Millisecond

// maxSpin caps the part of the pause spent yielding rather than blocked.
const maxSpin = 200 * time.Microsecond

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
		// A lone sequential appender (lastBatch 1) never waits.
		if !stopping && lastBatch > 1 && len(batch) < l.opts.MaxBatch {
			batch = l.gather(batch, min(len(batch)+lastBatch, l.opts.MaxBatch), min(lastCommit/4, maxGather))
		}
		start := time.Now()
		l.commit(batch)
		lastBatch, lastCommit = len(batch), time.Since(start)
	}
}

// gather waits up to wait for the batch to reach want requests. Appenders
// just acknowledged come back within microseconds; without this pause the
// writer would commit the first few alone and the rest in the next fsync,
// alternating small and full batches and halving throughput under load.
// wait is a fraction of the last commit, so a lone appender barely notices.
// It first yields rather than sleeps (Go timers below 1 ms round up to 1 ms
// when the process is otherwise idle, which would cost more than a fast
// fsync), then, for a slow disk, blocks so a busy CPU is not spun on.
func (l *Log) gather(batch []*appendReq, want int, wait time.Duration) []*appendReq {
	now := time.Now()
	deadline, spinUntil := now.Add(wait), now.Add(min(wait, maxSpin))
	for len(batch) < want {
		select {
		case r := <-l.queue:
			batch = append(batch, r)
			continue
		default:
		}
		now = time.Now()
		if now.After(deadline) {
			return batch
		}
		if now.Before(spinUntil) {
			runtime.Gosched()
			continue
		}
		timer := time.NewTimer(deadline.Sub(now))
		defer timer.Stop()
		for len(batch) < want {
			select {
			case r := <-l.queue:
				batch = append(batch, r)
			case <-timer.C:
				return batch
			}
		}
	}
	return batch
}

// commit writes a batch in one transaction. If the transaction fails as a
// whole, each request is retried alone so one bad request fails only itself.
func (l *Log) commit(batch []*appendReq) {
	err := l.commitTx(batch)
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			l.commit([]*appendReq{r})
		}
		return
	}
	for _, r := range batch {
		if err != nil {
			r.evs, r.err = nil, err
		}
	}
	l.publish(batch)
	for _, r := range batch {
		close(r.done)
	}
}

func (l *Log) commitTx(batch []*appendReq) error {
	head := l.head
	err := l.db.Update(func(btx *bolt.Tx) (err error) {
		// A panicking command or applier fails its batch, not the server.
		defer func() {
			if p := recover(); p != nil {
				err = &domain.Error{Code: domain.CodeInternal, Message: "append failed", Err: fmt.Errorf("panic: %v", p)}
			}
		}()
		events := btx.Bucket(bucketEvents)
		bodies := btx.Bucket(bucketBodies)
		// Keys only ever grow, so pages split full rather than half empty
		// (bbolt's default), which halves the file and what rebuild maps.
		events.FillPercent, bodies.FillPercent = 1.0, 1.0
		now := l.opts.Now().UTC()
		tx := &Tx{Tx: btx, log: l, now: now}
		// One buffer for the batch's stored bytes rather than one allocation
		// per event. bbolt keeps the slices until commit and publish hands
		// them on, so a full buffer is replaced, never reused.
		slab := make([]byte, 0, max(4<<10, l.slabHint+l.slabHint/8))
		encoded := 0
		for _, r := range batch {
			r.evs, r.raws, r.err = nil, nil, nil
			drafts := r.drafts
			if r.cmd != nil {
				var err error
				if drafts, err = r.cmd(tx); err != nil {
					r.err = err
					continue
				}
			}
			if len(drafts) == 0 {
				continue
			}
			evs := make([]Event, len(drafts))
			raws := make([][]byte, len(drafts))
			for i := range drafts {
				d := &drafts[i]
				ev := &evs[i]
				ev.ID = l.nextID(now)
				ev.Type, ev.Account, ev.Version, ev.Prev = d.Type, d.Account, CurrentVersion, head.Hash
				ev.At = d.At.UTC()
				if d.At.IsZero() {
					ev.At = now
				}
				if d.encoded {
					ev.Data, ev.value = d.Data.(json.RawMessage), d.value
				} else if data, err := marshalData(d.Data); err != nil {
					r.err = &domain.Error{Code: domain.CodeInternal, Message: "encoding event data", Err: err}
					break
				} else {
					ev.Data = data
					if _, raw := d.Data.(json.RawMessage); !raw {
						ev.value = d.Data
					}
				}
				if len(slab)+minEncodedV1+len(ev.Type)+len(ev.Account)+len(ev.Data) > cap(slab) {
					slab = make([]byte, 0, max(16<<10, minEncodedV1+len(ev.Type)+len(ev.Account)+len(ev.Data)))
				}
				start := len(slab)
				var err error
				if slab, err = appendEncoded(slab, ev); err != nil {
					r.err = &domain.Error{Code: domain.CodeInternal, Message: "encoding event", Err: err}
					break
				}
				raw := slab[start:len(slab):len(slab)]
				encoded += len(raw)
				raws[i] = raw
				for j, body := range d.Bodies {
					if len(body) == 0 {
						continue // empty: nothing to store, Body says ok=false
					}
					if !d.compressed {
						body = l.codec.Compress(body)
					}
					if err := bodies.Put(bodyKey(ev.ID, j), body); err != nil {
						return err
					}
				}
				if err := events.Put(ev.ID[:], raw); err != nil {
					return err
				}
				head = Head{Count: head.Count + 1, ID: ev.ID, Hash: sha256.Sum256(raw)}
			}
			if r.err != nil {
				// Encoding failed before anything of this request was applied,
				// but puts may have happened: abort the batch, retry alone.
				return r.err
			}
			if l.opts.Applier != nil {
				if err := l.opts.Applier.Apply(btx, evs); err != nil {
					return fmt.Errorf("applying %d events to projections: %w", len(evs), err)
				}
			}
			r.evs, r.raws = evs, raws
		}
		l.slabHint = encoded
		return putHead(btx, head)
	})
	if err != nil {
		return err
	}
	l.head = head
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
		if !json.Valid(d) {
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
