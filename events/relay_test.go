package events_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/events"
)

// stuckPublisher blocks every Publish until released, as a bus that is
// down or full would.
type stuckPublisher struct {
	message.Publisher
	release chan struct{}
	calls   atomic.Int64
}

func (p *stuckPublisher) Publish(topic string, msgs ...*message.Message) error {
	p.calls.Add(1)
	<-p.release
	return p.Publisher.Publish(topic, msgs...)
}

// flakyPublisher fails its first n Publish calls.
type flakyPublisher struct {
	message.Publisher
	mu    sync.Mutex
	fails int
}

func (p *flakyPublisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	fail := p.fails > 0
	p.fails--
	p.mu.Unlock()
	if fail {
		return errors.New("bus unavailable")
	}
	return p.Publisher.Publish(topic, msgs...)
}

func newBus(t *testing.T) *gochannel.GoChannel {
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024}, watermill.NopLogger{})
	t.Cleanup(func() { bus.Close() })
	return bus
}

// TestAppendNeverWaitsOnTheBus: a bus that blocks does not hold up the
// writer: appends are acknowledged once durable, and the messages follow
// when the bus takes them.
func TestAppendNeverWaitsOnTheBus(t *testing.T) {
	bus := newBus(t)
	stuck := &stuckPublisher{Publisher: bus, release: make(chan struct{})}
	var once sync.Once
	release := func() { once.Do(func() { close(stuck.release) }) }
	l, _ := openLog(t, events.Options{Publisher: stuck})
	t.Cleanup(release) // before the log's Close, which runs first
	msgs, err := bus.Subscribe(t.Context(), events.TopicEvents)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []events.Event, 1)
	go func() {
		var evs []events.Event
		for _, sub := range []string{"a", "b", "c"} {
			evs = append(evs, mustAppendErr(t, l, reservation("acc_s", sub))...)
		}
		done <- evs
	}()
	var evs []events.Event
	select {
	case evs = <-done:
	case <-time.After(10 * time.Second):
		release()
		<-done
		t.Fatal("appends blocked behind a stuck bus")
	}
	release()
	// A GoChannel that does not block its publisher may reorder: compare sets.
	want := map[string]bool{}
	for _, ev := range evs {
		want[ev.ID.String()] = true
	}
	for len(want) > 0 {
		select {
		case m := <-msgs:
			m.Ack()
			if !want[m.UUID] {
				t.Fatalf("unexpected message %s", m.UUID)
			}
			delete(want, m.UUID)
		case <-time.After(10 * time.Second):
			t.Fatalf("no message for %v once the bus took them", want)
		}
	}
}

// mustAppendErr is mustAppend for other goroutines: it reports with Error.
func mustAppendErr(t *testing.T, l *events.Log, d events.Draft) []events.Event {
	evs, err := l.Append(context.Background(), d)
	if err != nil {
		t.Error(err)
	}
	return evs
}

// TestPublishErrorIsRetried: an event whose publish failed is published
// again, not dropped.
func TestPublishErrorIsRetried(t *testing.T) {
	bus := newBus(t)
	l, _ := openLog(t, events.Options{Publisher: &flakyPublisher{Publisher: bus, fails: 2}})
	msgs, err := bus.Subscribe(t.Context(), events.TopicEvents)
	if err != nil {
		t.Fatal(err)
	}
	evs := mustAppend(t, l, reservation("acc_r", "retried"))
	select {
	case m := <-msgs:
		m.Ack()
		if m.UUID != evs[0].ID.String() {
			t.Fatalf("message %s, want %s", m.UUID, evs[0].ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a failed publish was never retried")
	}
}
