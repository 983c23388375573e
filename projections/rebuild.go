package projections

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/events"
)

// rebuildChunk is how many events one rebuild transaction applies: large
// enough to amortise the commit, small enough to bound the dirty pages held
// in memory.
const rebuildChunk = 16_384

// Rebuild drops every projection bucket and replays the whole log through
// the same Apply as the live path. It must not run beside a live writer (the
// server holds the file lock, so offline use guarantees it). progress, if
// set, is called after each chunk with the events applied so far and the
// log's total.
func Rebuild(db *bolt.DB, progress func(done, total uint64)) (uint64, error) {
	names, err := View(db, func(tx *bolt.Tx) ([][]byte, error) {
		var names [][]byte
		return names, tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if bytes.HasPrefix(name, []byte(Prefix)) {
				names = append(names, append([]byte(nil), name...))
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	// Dropping a bucket reads every page of it in one go, so large ones are
	// emptied a batch of keys per transaction first, their pages leaving
	// the resident set between batches. A crash in between leaves some
	// buckets missing or partial, and a missing one makes EnsureCurrent
	// rebuild (the checkpoint bucket goes last for that reason).
	slices.SortStableFunc(names, func(a, b []byte) int {
		return boolCmp(bytes.Equal(a, bCheckpoints), bytes.Equal(b, bCheckpoints))
	})
	for _, n := range names {
		if err := emptyBucket(db, n); err != nil {
			return 0, err
		}
		if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(n) }); err != nil {
			return 0, fmt.Errorf("projections: dropping %s: %w", n, err)
		}
		dropMapped(db)
	}
	var total uint64
	if err := db.Update(func(tx *bolt.Tx) error {
		// The recorded head, not Bucket.Stats, which would read every page.
		h, err := events.HeadTx(tx)
		total = h.Count
		if err != nil {
			return err
		}
		return createBuckets(tx)
	}); err != nil {
		return 0, err
	}
	return catchUp(db, ulid.ULID{}, total, progress)
}

// dropBatch is how many keys one emptying transaction deletes. Its commit
// holds the rewritten pages in memory: at 50,000 a rebuild of a million
// captures peaked at 220 MiB RSS, at 10,000 at 160 MiB.
const dropBatch = 10_000

// emptyBucket deletes a bucket's keys in batches, one transaction each,
// walking back from the last with one cursor: a Delete by key would search
// for each, and deleting at the front would leave the cursor to step over
// the leaves it emptied. (Going back, a Delete never moves what Prev reads
// next. The DeleteBucket after it removes whatever this leaves.)
func emptyBucket(db *bolt.DB, name []byte) error {
	for {
		var n int
		if err := db.Update(func(tx *bolt.Tx) error {
			c := tx.Bucket(name).Cursor()
			for k, _ := c.Last(); k != nil && n < dropBatch; k, _ = c.Prev() {
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
			return nil
		}); err != nil {
			return fmt.Errorf("projections: emptying %s: %w", name, err)
		}
		dropMapped(db)
		if n < dropBatch {
			return nil
		}
	}
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// EnsureCurrent brings the projections level with the log at start-up. They
// commit with the events, so normally nothing is to do; events past the
// checkpoint (a log written without projections) are applied; a missing
// bucket (a projection added by a newer binary, or dropped by hand) means its
// state is unknown, so everything is rebuilt. It returns the events applied.
func EnsureCurrent(db *bolt.DB, progress func(done, total uint64)) (uint64, error) {
	missing := false
	var from ulid.ULID
	if err := db.View(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				missing = true
			}
		}
		copy(from[:], Checkpoint(tx))
		return nil
	}); err != nil {
		return 0, err
	}
	if missing {
		return Rebuild(db, progress)
	}
	return catchUp(db, from, 0, progress)
}

// chunk is a run of events with their payloads decoded.
type chunk struct {
	evs      []events.Event
	payloads []any
	err      error
}

// catchUp applies every event after from. Reading and decoding (the JSON
// work, most of a rebuild's CPU) run ahead of the write transactions that
// apply them, a chunk at a time, the decoding of each chunk split across the
// cores; the writer applies one chunk while the next is decoded. Each read
// is a transaction of its own on the reader's goroutine, which never waits
// for the writer inside it: a read transaction held across a write commit
// on the same goroutine would deadlock bbolt's remap.
func catchUp(db *bolt.DB, from ulid.ULID, total uint64, progress func(done, total uint64)) (uint64, error) {
	chunks := make(chan chunk, 1)
	stop := make(chan struct{})
	var reader sync.WaitGroup
	reader.Go(func() { readAhead(db, from, chunks, stop) })
	defer reader.Wait()
	defer close(stop)
	var done uint64
	for c := range chunks {
		if c.err != nil {
			return done, c.err
		}
		if len(c.evs) == 0 {
			break
		}
		err := db.Update(func(tx *bolt.Tx) error { return applyBatch(tx, c.evs, c.payloads) })
		if err != nil {
			return done, err
		}
		dropMapped(db)
		done += uint64(len(c.evs))
		if progress != nil {
			progress(done, total)
		}
	}
	return done, nil
}

// readAhead reads the events after from a chunk at a time, decodes each
// chunk's payloads on every core, and sends the chunks in order until the
// log ends, an error (sent as the last chunk) or stop.
func readAhead(db *bolt.DB, from ulid.ULID, chunks chan<- chunk, stop <-chan struct{}) {
	defer close(chunks)
	workers := max(1, runtime.GOMAXPROCS(0))
	decs := make([]*events.Decoder, workers)
	for i := range decs {
		decs[i] = newDecoder()
	}
	cursor := from
	for {
		var c chunk
		// Decoded inside the read transaction, from the file's own bytes:
		// no copy of each payload. The transaction lasts one chunk's
		// decoding; a commit that must remap waits that long, no more.
		c.err = db.View(func(tx *bolt.Tx) error {
			var err error
			if c.evs, err = events.ScanAfterShared(tx, cursor, rebuildChunk); err == nil {
				c.payloads = make([]any, len(c.evs))
				err = decodeParallel(decs, c.evs, c.payloads)
			}
			for i := range c.evs {
				c.evs[i].Data = nil // the transaction's bytes, gone with it
			}
			return err
		})
		select {
		case chunks <- c:
		case <-stop:
			return
		}
		if c.err != nil || len(c.evs) < rebuildChunk {
			return
		}
		cursor = c.evs[len(c.evs)-1].ID
	}
}

// decodeParallel fills payloads[i] with decodePayload of evs[i], each
// decoder taking an equal run of the events, and returns the error of the
// earliest event that failed.
func decodeParallel(decs []*events.Decoder, evs []events.Event, payloads []any) error {
	errs := make([]error, len(decs))
	per := (len(evs) + len(decs) - 1) / len(decs)
	var wg sync.WaitGroup
	for w, dec := range decs {
		lo, hi := min(w*per, len(evs)), min((w+1)*per, len(evs))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				p, err := decodePayload(dec, &evs[i])
				if err != nil {
					errs[w] = fmt.Errorf("projections: %s %s: %w", evs[i].Type, evs[i].ID, err)
					return
				}
				payloads[i] = p
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Fingerprint hashes the names, keys and values of every projection bucket:
// equal fingerprints mean byte-for-byte equal projections.
func Fingerprint(tx *bolt.Tx) ([32]byte, error) {
	h := sha256.New()
	err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		if !bytes.HasPrefix(name, []byte(Prefix)) {
			return nil
		}
		fmt.Fprintf(h, "bucket %q\n", name)
		return b.ForEach(func(k, v []byte) error {
			fmt.Fprintf(h, "%d:%x=%d:%x\n", len(k), k, len(v), v)
			return nil
		})
	})
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum, err
}

// dropMapped hands the pages of db's file read so far back to the kernel
// (events.DropMapped), from a read transaction of its own: call it between
// write transactions, so that none of them holds pages only it has mapped.
func dropMapped(db *bolt.DB) {
	_ = db.View(func(tx *bolt.Tx) error { events.DropMapped(tx); return nil })
}
