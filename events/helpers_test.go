package events_test

import (
	"context"
	"encoding/binary"
	"testing"

	bolt "go.etcd.io/bbolt"

	"warren/events"
	"warren/events/logtest"
)

// openLog opens a log in a fresh temp dir; when the test ends it is closed
// and checked (bbolt's consistency check and the chain verification).
func openLog(t testing.TB, opts events.Options) (*events.Log, string) {
	t.Helper()
	return logtest.Open(t, opts)
}

// mustOpen opens the log at path, closed and checked when the test ends.
func mustOpen(t testing.TB, path string, opts events.Options) *events.Log {
	t.Helper()
	return logtest.OpenAt(t, path, opts)
}

// openUnchecked opens the log at path for a test that damages it on
// purpose: closed when the test ends, never checked.
func openUnchecked(t testing.TB, path string, opts events.Options) *events.Log {
	t.Helper()
	l, err := events.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func mustAppend(t testing.TB, l *events.Log, drafts ...events.Draft) []events.Event {
	t.Helper()
	evs, err := l.Append(context.Background(), drafts...)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func reservation(acc, sub string) events.Draft {
	return events.Draft{Type: events.ReservationCreated, Account: acc, Data: events.ReservationData{Subdomain: sub}}
}

// counterApplier is a test projection: it counts events per type in its own
// bucket, so commands can read what earlier commands in the batch wrote.
type counterApplier struct{}

var counterBucket = []byte("test_counter")

func (counterApplier) Init(tx *bolt.Tx) error {
	_, err := tx.CreateBucketIfNotExists(counterBucket)
	return err
}

func (counterApplier) Apply(tx *bolt.Tx, evs []events.Event) error {
	b := tx.Bucket(counterBucket)
	for _, ev := range evs {
		n := counterGet(tx, string(ev.Type))
		if err := b.Put([]byte(ev.Type), binary.BigEndian.AppendUint64(nil, n+1)); err != nil {
			return err
		}
	}
	return nil
}

func counterGet(tx *bolt.Tx, typ string) uint64 {
	v := tx.Bucket(counterBucket).Get([]byte(typ))
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}
