package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/events"
)

// BenchmarkDelivery measures what an SSE client waits for: from the call to
// Append to the message arriving at a GoChannel subscriber of the events
// topic, per event, as p50 and p99. Sequential is one appender at a time;
// Load64 is 64 concurrent appenders.
func BenchmarkDelivery(b *testing.B) {
	for _, workers := range []int{1, 64} {
		name := "Sequential"
		if workers > 1 {
			name = fmt.Sprintf("Load%d", workers)
		}
		b.Run(name, func(b *testing.B) { benchDelivery(b, workers) })
	}
}

func benchDelivery(b *testing.B, workers int) {
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1 << 16}, watermill.NopLogger{})
	defer bus.Close()
	l := openDeliveryLog(b, bus)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs, err := bus.Subscribe(ctx, events.TopicEvents)
	if err != nil {
		b.Fatal(err)
	}
	n := b.N
	starts := make([]atomic.Int64, n)
	lat := make([]time.Duration, 0, n)
	received := make(chan struct{})
	go func() {
		defer close(received)
		for m := range msgs {
			now := time.Now().UnixNano()
			m.Ack()
			ev, err := events.Decode(m.Payload)
			if err != nil {
				b.Error(err)
				return
			}
			i, err := strconv.Atoi(string(ev.Data))
			if err != nil {
				b.Error(err)
				return
			}
			lat = append(lat, time.Duration(now-starts[i].Load()))
			if len(lat) == n {
				return
			}
		}
	}()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				d := events.Draft{Type: events.TunnelOpened, Account: "acc_bench", Data: json.RawMessage(strconv.Itoa(i))}
				starts[i].Store(time.Now().UnixNano())
				if _, err := l.Append(context.Background(), d); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-received:
	case <-time.After(30 * time.Second):
		b.Fatalf("%d of %d messages within 30 s", len(lat), n)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_µs")
}

// openDeliveryLog opens a log whose committed events reach bus through a
// relay, stopped when the benchmark ends.
func openDeliveryLog(b *testing.B, bus *gochannel.GoChannel) *events.Log {
	l, _ := openLog(b, events.Options{})
	r, err := events.NewRelay(l, bus, events.RelayOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	return l
}
