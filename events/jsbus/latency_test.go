package jsbus_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/events"
	"warren/events/jsbus"
)

// TestCaptureLatencyHarness measures a capture's latency from the edge's
// Send to the end of the control plane's append (fsync included), at a
// steady 1,000 captures/s through an embedded server, beside the same
// rate appended straight to the log (--role all). Numbers go to
// docs/performance.md. Gated: WARREN_BENCH=1 (WARREN_BENCH_SECONDS, default 5).
func TestCaptureLatencyHarness(t *testing.T) {
	if os.Getenv("WARREN_BENCH") == "" {
		t.Skip("a benchmark: WARREN_BENCH=1 go test -run TestCaptureLatencyHarness -v ./events/jsbus/")
	}
	secs := 5
	if v, err := strconv.Atoi(os.Getenv("WARREN_BENCH_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	const rate = 1000
	n := secs * rate
	body := make([]byte, 1024) // a typical small JSON exchange, both ways
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	draft := func(i int) events.Draft {
		d := capture(i)
		d.Bodies = [][]byte{body[:512], body[512:]}
		return d
	}

	t.Run("JetStream", func(t *testing.T) {
		s := startServer(t)
		l := openLog(t)
		var mu sync.Mutex
		sent := make(map[ulid.ULID]time.Time, n)
		lat := make([]time.Duration, 0, n)
		done := make(chan struct{})
		c, err := jsbus.StartConsumer(jsbus.ConsumerConfig{Bus: jsbus.Config{URL: s.URL(), Name: "bench-control"},
			OnAppended: func(key ulid.ULID, _ events.Event) {
				now := time.Now()
				mu.Lock()
				lat = append(lat, now.Sub(sent[key]))
				if len(lat) == n {
					close(done)
				}
				mu.Unlock()
			}}, l)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		snd := startSender(t, s.URL(), t.TempDir(), 1<<30)
		k := newKeys()
		pace(n, rate, func(i int) {
			key := k.next()
			mu.Lock()
			sent[key] = time.Now()
			mu.Unlock()
			if err := snd.Send(key, draft(i)); err != nil {
				t.Error(err)
			}
		})
		select {
		case <-done:
		case <-time.After(wait):
			t.Fatalf("only %d of %d appended within %s", c.Stats().Appended, n, wait)
		}
		mu.Lock()
		defer mu.Unlock()
		report(t, "edge Send → control append (JetStream)", lat)
	})

	t.Run("Direct", func(t *testing.T) {
		l := openLog(t)
		var mu sync.Mutex
		lat := make([]time.Duration, 0, n)
		var wg sync.WaitGroup
		pace(n, rate, func(i int) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				if _, err := l.Append(t.Context(), draft(i)); err != nil {
					t.Error(err)
				}
				mu.Lock()
				lat = append(lat, time.Since(start))
				mu.Unlock()
			}()
		})
		wg.Wait()
		report(t, "Append in process (--role all)", lat)
	})
}

// pace calls f n times at rate per second, catching up when behind.
func pace(n, rate int, f func(i int)) {
	start := time.Now()
	gap := time.Second / time.Duration(rate)
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * gap)); d > 0 {
			time.Sleep(d)
		}
		f(i)
	}
}

func report(t *testing.T, what string, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	msg := fmt.Sprintf("%s: %d captures at 1,000/s: p50 %s, p90 %s, p99 %s, max %s", what, len(lat),
		q(0.50).Round(10*time.Microsecond), q(0.90).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
	t.Log(msg)
}
