package events_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"warren/events"
)

func TestHistogram_Snapshot(t *testing.T) {
	h := events.NewHistogram(time.Millisecond, 10*time.Millisecond)
	for _, d := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond, time.Second} {
		h.Observe(d)
	}
	s := h.Snapshot()
	// Cumulative, by upper bound in seconds: ≤ 1 ms holds 0 and 1 ms.
	if s.Count != 4 || s.Buckets[0.001] != 2 || s.Buckets[0.01] != 3 || len(s.Buckets) != 2 {
		t.Errorf("snapshot %+v", s)
	}
	if want := (time.Second + 3*time.Millisecond).Seconds(); s.Sum != want {
		t.Errorf("sum %v, want %v", s.Sum, want)
	}
	t.Run("Concurrent", func(t *testing.T) {
		h := events.NewHistogram(time.Millisecond)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 1000 {
					h.Observe(time.Microsecond)
				}
			}()
		}
		for range 100 {
			if s := h.Snapshot(); s.Buckets[0.001] != s.Count {
				t.Fatalf("a snapshot whose count %d is not its buckets' %d", s.Count, s.Buckets[0.001])
			}
		}
		wg.Wait()
		if s := h.Snapshot(); s.Count != 8000 {
			t.Errorf("count %d, want 8000", s.Count)
		}
	})
}

// TestLog_Stats: the file's size on disk, the events held, and one append
// duration observed per Append, from atomics and a stat.
func TestLog_Stats(t *testing.T) {
	l, path := openLog(t, events.Options{})
	if st := l.Stats(); st.Committed != 0 || st.AppendDuration.Count != 0 {
		t.Fatalf("fresh log: %+v", st)
	}
	mustAppend(t, l, reservation("acc_1", "a"))
	mustAppend(t, l, reservation("acc_1", "b"), reservation("acc_1", "c"))
	st := l.Stats()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Committed != 3 || st.AppendDuration.Count != 2 || st.AppendDuration.Sum <= 0 || st.SizeBytes != fi.Size() {
		t.Errorf("stats %+v; want 3 events, 2 appends timed, size %d", st, fi.Size())
	}
}

// BenchmarkHistogram_Observe: one observation, from every core at once.
func BenchmarkHistogram_Observe(b *testing.B) {
	h := events.NewHistogram(time.Millisecond, 10*time.Millisecond, 100*time.Millisecond, time.Second)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.Observe(50 * time.Millisecond)
		}
	})
}
