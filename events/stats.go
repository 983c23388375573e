package events

import (
	"os"
	"sync/atomic"
	"time"
)

// Histogram counts durations into fixed buckets with atomics only, so hot
// paths (an append, a public request) observe into it without a lock; a
// metrics collector reads a Snapshot at scrape time. The zero value is not
// usable: build one with NewHistogram.
type Histogram struct {
	bounds []time.Duration // upper bounds, ascending; +Inf is implied
	counts []atomic.Uint64 // per bucket (not cumulative); the last is +Inf
	sumNs  atomic.Int64    // total observed, in nanoseconds
}

// NewHistogram returns a histogram with the given upper bounds (ascending).
func NewHistogram(bounds ...time.Duration) *Histogram {
	return &Histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

// Observe counts d in its bucket.
func (h *Histogram) Observe(d time.Duration) {
	i := 0
	// A dozen bounds: a linear scan beats a binary search's branches.
	for i < len(h.bounds) && d > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

// HistogramSnapshot is a histogram as read at one moment, in the shape
// Prometheus wants: cumulative counts per upper bound, in seconds.
type HistogramSnapshot struct {
	Count   uint64
	Sum     float64            // seconds
	Buckets map[float64]uint64 // upper bound in seconds → observations ≤ it
}

// Snapshot reads the histogram. The buckets are read one by one while
// observations go on, so Count is taken as their total (consistent with
// them); Sum may include an observation the buckets do not yet show.
func (h *Histogram) Snapshot() HistogramSnapshot {
	s := HistogramSnapshot{Buckets: make(map[float64]uint64, len(h.bounds))}
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		if i < len(h.bounds) {
			s.Buckets[h.bounds[i].Seconds()] = cum
		}
	}
	s.Count = cum
	s.Sum = time.Duration(h.sumNs.Load()).Seconds()
	return s
}

// appendBounds are the buckets of an append's duration: an fsync on an SSD
// takes a fraction of a millisecond, a slow disk or a gathered batch tens.
var appendBounds = []time.Duration{
	250 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond,
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 5 * time.Second,
}

// LogStats is the log as a metrics scrape sees it.
type LogStats struct {
	// SizeBytes is the file's size on disk (bbolt grows it ahead of use);
	// -1 when it cannot be read.
	SizeBytes int64
	// Committed is how many events the log holds.
	Committed uint64
	// AppendDuration is how long Append and Execute callers waited, from
	// queueing their request to its outcome (after fsync): what an append
	// costs its caller, group commit included.
	AppendDuration HistogramSnapshot
}

// Stats reads the log's numbers without touching the writer: the file's
// size from the file system, the rest from atomics.
func (l *Log) Stats() LogStats {
	st := LogStats{SizeBytes: -1, Committed: l.committed.Load()}
	if fi, err := os.Stat(l.db.Path()); err == nil {
		st.SizeBytes = fi.Size()
	}
	st.AppendDuration = l.appendTime.Snapshot()
	return st
}
