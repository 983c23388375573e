// Package bustest is the contract every bus Warren publishes its events on
// must meet, run through the outbox relay on a real log: GoChannel now,
// NATS JetStream when Warren scales out. A bus package's test calls Run
// with a constructor of fresh buses.
package bustest

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/oklog/ulid/v2"

	"warren/events"
	"warren/events/logtest"
)

// Bus is a publisher and a subscriber on one bus (often the same value).
type Bus struct {
	Publisher  message.Publisher
	Subscriber message.Subscriber
}

// wait bounds every wait for a message: a contract broken by a lost message
// fails in seconds instead of hanging the suite.
const wait = 10 * time.Second

// Run checks the contract. newBus returns a fresh, empty bus for one
// subtest and closes it at that subtest's cleanup. The bus must hand each
// subscriber a topic's messages in the order they were published (for
// GoChannel: BlockPublishUntilSubscriberAck).
func Run(t *testing.T, newBus func(t *testing.T) Bus) {
	t.Run("OrderedPerTopic", func(t *testing.T) { testOrdered(t, newBus(t)) })
	t.Run("AtLeastOnce", func(t *testing.T) { testAtLeastOnce(t, newBus(t)) })
	t.Run("ResumeAfterRestart", func(t *testing.T) { testResume(t, newBus(t)) })
	t.Run("RedeliveryOnNack", func(t *testing.T) { testNack(t, newBus(t)) })
	t.Run("LagVisible", func(t *testing.T) { testLag(t, newBus(t)) })
}

// startRelay runs a relay from l to pub until the returned stop is called
// (or the test ends), and returns it.
func startRelay(t *testing.T, l *events.Log, pub message.Publisher, opts events.RelayOptions) (*events.Relay, func()) {
	t.Helper()
	r, err := events.NewRelay(l, pub, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("relay: %v", err)
			}
		})
	}
	t.Cleanup(stop) // before the log's close, registered earlier
	return r, stop
}

func subscribe(t *testing.T, b Bus, topic string) <-chan *message.Message {
	t.Helper()
	ch, err := b.Subscriber.Subscribe(t.Context(), topic)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// receive returns the next message, acked.
func receive(t *testing.T, ch <-chan *message.Message, what string) *message.Message {
	t.Helper()
	select {
	case m := <-ch:
		m.Ack()
		return m
	case <-time.After(wait):
		t.Fatalf("no message within %s: %s", wait, what)
		return nil
	}
}

// receiveUntil receives messages until one carries id, and returns their ids in order.
func receiveUntil(t *testing.T, ch <-chan *message.Message, id ulid.ULID, topic string) []ulid.ULID {
	t.Helper()
	var got []ulid.ULID
	for {
		m := receive(t, ch, fmt.Sprintf("%s on %s after %d messages", id, topic, len(got)))
		mid, err := ulid.Parse(m.UUID)
		if err != nil {
			t.Fatalf("message id %q is not a ULID", m.UUID)
		}
		got = append(got, mid)
		if mid == id {
			return got
		}
	}
}

// collectUntil is receiveUntil for another goroutine: it reports with
// Error and returns nil on a missing message.
func collectUntil(t *testing.T, ch <-chan *message.Message, id ulid.ULID, topic string) []ulid.ULID {
	var got []ulid.ULID
	for {
		select {
		case m := <-ch:
			m.Ack()
			mid, err := ulid.Parse(m.UUID)
			if err != nil {
				t.Errorf("%s: message id %q is not a ULID", topic, m.UUID)
				return nil
			}
			if got = append(got, mid); mid == id {
				return got
			}
		case <-time.After(wait):
			t.Errorf("%s: no message within %s after %d messages, waiting for %s", topic, wait, len(got), id)
			return nil
		}
	}
}

func reservation(acc string, i int) events.Draft {
	return events.Draft{Type: events.ReservationCreated, Account: acc, Data: events.ReservationData{Subdomain: fmt.Sprintf("s%d", i)}}
}

func captured(acc string) events.Draft {
	return events.Draft{Type: events.RequestCaptured, Account: acc, Data: json.RawMessage(`{"tunnelId":"tun_bus","kind":"http"}`)}
}

func mustAppend(t *testing.T, l *events.Log, d ...events.Draft) []events.Event {
	t.Helper()
	evs, err := l.Append(context.Background(), d...)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func openAt(t *testing.T, path string) *events.Log { return logtest.OpenAt(t, path, events.Options{}) }

func newLogPath(t *testing.T) string { return filepath.Join(t.TempDir(), "warren.db") }

func openLog(t *testing.T) (*events.Log, string) { return logtest.Open(t, events.Options{}) }
