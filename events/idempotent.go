package events

import (
	"context"

	"github.com/oklog/ulid/v2"

	"warren/domain"
)

// bucketKeys maps an idempotency key (16 bytes) to the id of the event
// appended under it (16 bytes). It is the log's, written in the append's
// own transaction, so it is never rebuilt and never out of step.
var bucketKeys = []byte("log_keys")

// AppendOnce appends d unless an event was already appended under key, and
// returns the event stored under key and whether this call appended it.
//
// It is how the control plane appends what an edge captured: the edge
// names each capture with a ULID of its own (its Nats-Msg-Id), and the bus
// delivers at least once, across restarts of either side, long after
// JetStream's dedup window. The key cannot be the event's id: ids come from
// the log's one monotonic source (log order == id order, the cursors and
// SSE resume rely on it), and captures from several edges, or from one
// edge's spool after an outage, arrive with older ids than the head. So the
// key is recorded beside the event, in the same transaction, and a second
// append under it is a no-op that writes nothing: the hash chain only ever
// sees the first.
//
// A duplicate returns the stored event with appended=false. key must not be
// zero (CodeInvalid). Other errors are Append's.
func (l *Log) AppendOnce(ctx context.Context, key ulid.ULID, d Draft) (ev Event, appended bool, err error) {
	if key == (ulid.ULID{}) {
		return Event{}, false, domain.Errorf(domain.CodeInvalid, "an idempotent append needs a key")
	}
	if err := l.prepare(&d); err != nil {
		return Event{}, false, err
	}
	d.key = key
	var existing ulid.ULID
	evs, err := l.Execute(ctx, func(tx *Tx) ([]Draft, error) {
		// Run again if the batch is retried: reset what an earlier run saw.
		existing = ulid.ULID{}
		if b := tx.Bucket(bucketKeys); b != nil {
			if v := b.Get(key[:]); len(v) == len(existing) {
				copy(existing[:], v)
				return nil, nil
			}
		}
		return []Draft{d}, nil
	})
	if err != nil {
		return Event{}, false, err
	}
	if len(evs) == 1 {
		return evs[0], true, nil
	}
	got, ok, err := l.Get(existing)
	if err != nil {
		return Event{}, false, err
	}
	if !ok {
		return Event{}, false, domain.Errorf(domain.CodeInternal, "key %s names event %s, which is not in the log", key, existing)
	}
	return got, false, nil
}

// recordKey stores key → id in the write transaction that stores the event
// (nothing for a zero key: an ordinary append).
func (w *txWriter) recordKey(key, id ulid.ULID) error {
	if key == (ulid.ULID{}) {
		return nil
	}
	b, err := w.btx.CreateBucketIfNotExists(bucketKeys)
	if err != nil {
		return err
	}
	return b.Put(key[:], id[:])
}
