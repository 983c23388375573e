package edge

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"warren/events"
	"warren/events/logtest"
)

func TestByteBudget(t *testing.T) {
	b := newByteBudget(100)
	if w := b.acquire(60); w != 0 {
		t.Fatalf("a fitting acquire waited %v", w)
	}
	if w := b.acquire(0); w != 0 {
		t.Fatalf("a zero acquire waited %v", w)
	}
	got := make(chan time.Duration)
	go func() { got <- b.acquire(50) }() // 60+50 > 100: waits
	select {
	case w := <-got:
		t.Fatalf("an acquire past the budget returned after %v without a release", w)
	case <-time.After(50 * time.Millisecond):
	}
	b.release(60)
	if w := <-got; w <= 0 {
		t.Fatalf("the waiting acquire reported no wait (%v)", w)
	}
	b.release(50)
	// Larger than the whole budget: admitted alone rather than never.
	if w := b.acquire(500); w != 0 || b.inUse() != 500 {
		t.Fatalf("an oversize acquire on an empty budget: waited %v, in use %d", w, b.inUse())
	}
	b.release(500)
	if b.inUse() != 0 || b.peak != 500 {
		t.Fatalf("in use %d, peak %d", b.inUse(), b.peak)
	}
}

// TestCapturer_BoundedByBytes: exchanges with large bodies wait for room
// rather than piling up, and every one is still appended.
func TestCapturer_BoundedByBytes(t *testing.T) {
	l, _ := logtest.Open(t, events.Options{})
	defer l.Close()
	c := newCapturer(l, 4096, 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	const budget, body, n = 1 << 20, 300 << 10, 12
	c.bytes = newByteBudget(budget)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.put(captureItem{draft: events.Draft{Type: events.RequestCaptured, Account: "acc_test",
				Data: json.RawMessage(`{}`), Bodies: [][]byte{bytes.Repeat([]byte{byte(i)}, body)}}})
		}()
	}
	wg.Wait()
	if err := c.close(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := CaptureStats{Appended: c.appended.Load(), Failed: c.failed.Load(), QueuedBytes: c.bytes.inUse()}
	if st.Appended != n || st.Failed != 0 || st.QueuedBytes != 0 {
		t.Fatalf("appended %d, failed %d, bytes still held %d; want %d, 0, 0", st.Appended, st.Failed, st.QueuedBytes, n)
	}
	if c.bytes.peak > budget {
		t.Fatalf("%d body bytes were held at once, over the %d budget", c.bytes.peak, budget)
	}
	if c.waitNs.Load() == 0 {
		t.Fatalf("no put waited, though %d bodies of %d bytes exceed a %d budget", n, body, budget)
	}
	h, err := l.Head()
	if err != nil || h.Count != n {
		t.Fatalf("log head %+v, %v; want %d events", h, err, n)
	}
}
