package events_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/domain"
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

// runRelay runs r until the test ends.
func runRelay(t *testing.T, r *events.Relay) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

func TestRelay(t *testing.T) {
	t.Run("StartsAtTheHeadWithoutAStoredPosition", func(t *testing.T) {
		// A log that never had a relay: its history is not published again.
		l, path := openLog(t, events.Options{})
		for i := range 5 {
			mustAppend(t, l, reservation("acc_h", fmt.Sprint("h", i)))
		}
		l.Close()
		l = mustOpen(t, path, events.Options{})
		bus := newBus(t)
		msgs, err := bus.Subscribe(t.Context(), events.TopicEvents)
		if err != nil {
			t.Fatal(err)
		}
		r, err := events.NewRelay(l, bus, events.RelayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if pos := r.Position(); pos.Count != 5 || r.Lag() != 0 {
			t.Fatalf("position %+v lag %d, want the head (5 events)", pos, r.Lag())
		}
		runRelay(t, r)
		ev := mustAppend(t, l, reservation("acc_h", "new"))[0]
		select {
		case m := <-msgs:
			m.Ack()
			if m.UUID != ev.ID.String() {
				t.Fatalf("first message %s, want the new event %s", m.UUID, ev.ID)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no message")
		}
	})
	t.Run("ErrAlreadyRunning", func(t *testing.T) {
		l, _ := openLog(t, events.Options{})
		bus := newBus(t)
		msgs, err := bus.Subscribe(t.Context(), events.TopicEvents)
		if err != nil {
			t.Fatal(err)
		}
		r, err := events.NewRelay(l, bus, events.RelayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		runRelay(t, r)
		// A message proves the first Run is running.
		mustAppend(t, l, reservation("acc_r", "running"))
		select {
		case m := <-msgs:
			m.Ack()
		case <-time.After(10 * time.Second):
			t.Fatal("no message")
		}
		if err := r.Run(t.Context()); domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("a second Run: %v, want a conflict", err)
		}
	})
	t.Run("ErrReadOnly", func(t *testing.T) {
		_, path := openLog(t, events.Options{})
		ro := openUnchecked(t, path+".ro", events.Options{})
		ro.Close()
		ro = mustOpen(t, path+".ro", events.Options{ReadOnly: true})
		if _, err := events.NewRelay(ro, newBus(t), events.RelayOptions{}); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("relay on a read-only log: %v", err)
		}
	})
}
