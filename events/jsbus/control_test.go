package jsbus_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/oklog/ulid/v2"

	"warren/events"
	"warren/events/jsbus"
)

// edgeFollower is an edge following the control topic with a durable of
// its own: it records each event id once (edges dedupe by id).
type edgeFollower struct {
	mu   sync.Mutex
	seen map[ulid.ULID]bool
	last ulid.ULID
	bad  string
}

func (f *edgeFollower) follow(t *testing.T, ch <-chan *message.Message, done *sync.WaitGroup) {
	defer done.Done()
	for m := range ch {
		id, err := ulid.Parse(m.UUID)
		f.mu.Lock()
		switch {
		case err != nil:
			f.bad = fmt.Sprintf("message id %q", m.UUID)
		case !f.seen[id]:
			if id.Compare(f.last) < 0 && f.bad == "" {
				f.bad = fmt.Sprintf("%s after %s: out of log order", id, f.last)
			}
			f.seen[id], f.last = true, id
		}
		f.mu.Unlock()
		m.Ack()
	}
}

func (f *edgeFollower) has(ids []ulid.ULID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		if !f.seen[id] {
			return false
		}
	}
	return true
}

func subscribeEdge(t *testing.T, url, id string, f *edgeFollower, wg *sync.WaitGroup) *jsbus.Subscriber {
	t.Helper()
	sub, err := jsbus.NewSubscriber(jsbus.Config{URL: url, Name: id, Durable: id})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := sub.Subscribe(context.Background(), events.TopicControl)
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go f.follow(t, ch, wg)
	return sub
}

// TestControlEventsReachEveryEdge: the relay publishes control events on
// JetStream; two edges, each with a durable of its own, both get every
// one, in log order; an edge that restarts meanwhile gets what was
// published while it was gone, with no gap.
func TestControlEventsReachEveryEdge(t *testing.T) {
	s := startServer(t)
	l := openLog(t)
	pub, err := jsbus.NewPublisher(jsbus.Config{URL: s.URL(), Name: "control"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	r, err := events.NewRelay(l, pub, events.RelayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	relayDone := make(chan error, 1)
	go func() { relayDone <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-relayDone; err != nil {
			t.Errorf("relay: %v", err)
		}
	})

	var wg sync.WaitGroup
	a := &edgeFollower{seen: map[ulid.ULID]bool{}}
	b := &edgeFollower{seen: map[ulid.ULID]bool{}}
	subA := subscribeEdge(t, s.URL(), "edge-a", a, &wg)
	subB := subscribeEdge(t, s.URL(), "edge-b", b, &wg)
	var ids []ulid.ULID
	appendN := func(from, n int) {
		for i := range n {
			evs, err := l.Append(context.Background(), events.Draft{Type: events.KeyRevoked, Account: "acc_ctl",
				Data: events.KeyRevokedData{KeyID: fmt.Sprintf("key_%d", from+i)}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, evs[0].ID)
		}
	}
	appendN(0, 20)
	eventually(t, "both edges have the first events", func() bool { return a.has(ids) && b.has(ids) })
	// Edge b goes away; events keep coming; it comes back.
	subB.Close()
	appendN(20, 20)
	eventually(t, "edge a has them", func() bool { return a.has(ids) })
	subB = subscribeEdge(t, s.URL(), "edge-b", b, &wg)
	appendN(40, 10)
	eventually(t, "both edges have every event", func() bool { return a.has(ids) && b.has(ids) })
	subA.Close()
	subB.Close()
	wg.Wait()
	for name, f := range map[string]*edgeFollower{"edge-a": a, "edge-b": b} {
		if f.bad != "" {
			t.Fatalf("%s: %s", name, f.bad)
		}
	}
}
