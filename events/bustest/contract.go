package bustest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/oklog/ulid/v2"

	"warren/events"
)

// testOrdered: each topic's messages arrive in log order, from appends
// made concurrently, and each topic carries what it promises: every event
// but captured requests on control, each account's last captured request
// of a read on requests, the newest event on events.
func testOrdered(t *testing.T, b Bus) {
	l, _ := openLog(t)
	all, reqs, ctl := subscribe(t, b, events.TopicEvents), subscribe(t, b, events.TopicRequests), subscribe(t, b, events.TopicControl)
	startRelay(t, l, b.Publisher, events.RelayOptions{Chunk: 16})
	const workers, each = 8, 40
	var mu sync.Mutex
	var control []ulid.ULID
	var lastCaptured map[string]ulid.ULID = map[string]ulid.ULID{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc := fmt.Sprintf("acc_%d", w%3)
			for i := range each {
				d := reservation(acc, w*each+i)
				if i%2 == 1 {
					d = captured(acc)
				}
				evs, err := l.Append(t.Context(), d)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if d.Type == events.RequestCaptured {
					if evs[0].ID.Compare(lastCaptured[acc]) > 0 {
						lastCaptured[acc] = evs[0].ID
					}
				} else {
					control = append(control, evs[0].ID)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	h, err := l.Head()
	if err != nil {
		t.Fatal(err)
	}
	// Appenders finish in any order: the log's order is the ids'.
	slices.SortFunc(control, ulid.ULID.Compare)
	var lastReq ulid.ULID
	for _, id := range lastCaptured {
		if id.Compare(lastReq) > 0 {
			lastReq = id
		}
	}
	ordered := func(topic string, ids []ulid.ULID) {
		for i := 1; i < len(ids); i++ {
			if ids[i].Compare(ids[i-1]) <= 0 {
				t.Fatalf("%s: message %d (%s) after %s: out of log order", topic, i, ids[i], ids[i-1])
			}
		}
	}
	// Each topic is read on its own goroutine, acking at once as
	// subscribers must: with a blocking bus, a topic nobody reads would hold
	// up the relay's next publish.
	var gotAll, gotCtl, gotReq []ulid.ULID
	var rg sync.WaitGroup
	for _, c := range []struct {
		ch    <-chan *message.Message
		until ulid.ULID
		topic string
		got   *[]ulid.ULID
	}{{all, h.ID, events.TopicEvents, &gotAll}, {ctl, control[len(control)-1], events.TopicControl, &gotCtl},
		{reqs, lastReq, events.TopicRequests, &gotReq}} {
		rg.Add(1)
		go func() {
			defer rg.Done()
			*c.got = collectUntil(t, c.ch, c.until, c.topic)
		}()
	}
	rg.Wait()
	if t.Failed() {
		return
	}
	ordered(events.TopicEvents, gotAll)
	ordered(events.TopicControl, gotCtl)
	if len(gotCtl) != len(control) {
		t.Fatalf("control: %d messages for %d events", len(gotCtl), len(control))
	}
	ordered(events.TopicRequests, gotReq)
	seen := map[ulid.ULID]bool{}
	for _, id := range gotReq {
		seen[id] = true
	}
	for acc, id := range lastCaptured {
		if !seen[id] {
			t.Fatalf("requests: %s's last capture %s never published", acc, id)
		}
	}
}

// failingPublisher fails while down, and every third call when flaky.
type failingPublisher struct {
	message.Publisher
	mu     sync.Mutex
	down   bool
	flaky  bool
	calls  int
	failed int
}

var errBusDown = errors.New("bus down")

func (p *failingPublisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	p.calls++
	fail := p.down || (p.flaky && p.calls%3 == 0)
	if fail {
		p.failed++
	}
	p.mu.Unlock()
	if fail {
		return errBusDown
	}
	return p.Publisher.Publish(topic, msgs...)
}

func (p *failingPublisher) set(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

// testAtLeastOnce: with publishes failing now and then, every committed
// event still reaches the subscriber (maybe twice).
func testAtLeastOnce(t *testing.T, b Bus) {
	l, _ := openLog(t)
	all := subscribe(t, b, events.TopicEvents)
	pub := &failingPublisher{Publisher: b.Publisher, flaky: true}
	startRelay(t, l, pub, events.RelayOptions{MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, Chunk: 8})
	var want []ulid.ULID
	for i := range 60 {
		want = append(want, mustAppend(t, l, reservation("acc_once", i))[0].ID)
	}
	got := map[ulid.ULID]bool{}
	for _, id := range receiveUntil(t, all, want[len(want)-1], events.TopicEvents) {
		got[id] = true
	}
	for _, id := range want {
		if !got[id] {
			t.Fatalf("event %s lost", id)
		}
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if pub.failed == 0 {
		t.Fatal("no publish failed: the test proved nothing")
	}
}

// testResume: a relay stopped and a new one started on the reopened log
// publish every event from the stored position on, including those
// appended while no relay ran, and nothing before it.
func testResume(t *testing.T, b Bus) {
	path := newLogPath(t)
	all := subscribe(t, b, events.TopicEvents)
	l := openAt(t, path)
	// Only the store at stop counts: the periodic one would come in an hour.
	_, stop := startRelay(t, l, b.Publisher, events.RelayOptions{SaveEvery: time.Hour})
	var first []events.Event
	for i := range 10 {
		first = append(first, mustAppend(t, l, reservation("acc_resume", i))...)
	}
	receiveUntil(t, all, first[len(first)-1].ID, events.TopicEvents)
	stop()
	l.Close()

	// Appended while no relay runs: nothing publishes them now.
	l = openAt(t, path)
	var missed []events.Event
	for i := range 5 {
		missed = append(missed, mustAppend(t, l, reservation("acc_resume", 10+i))...)
	}
	l.Close()

	l = openAt(t, path)
	r, _ := startRelay(t, l, b.Publisher, events.RelayOptions{})
	got := receiveUntil(t, all, missed[len(missed)-1].ID, events.TopicEvents)
	if len(got) != len(missed) || got[0] != missed[0].ID {
		t.Fatalf("after restart got %v, want the %d events appended while down, from %s", got, len(missed), missed[0].ID)
	}
	want := events.RelayPosition{ID: missed[len(missed)-1].ID, Count: 15}
	eventually(t, fmt.Sprintf("position %+v", want), func() bool { return r.Position() == want })
}

// testNack: a message the subscriber nacks comes again.
func testNack(t *testing.T, b Bus) {
	l, _ := openLog(t)
	all := subscribe(t, b, events.TopicEvents)
	startRelay(t, l, b.Publisher, events.RelayOptions{})
	ev := mustAppend(t, l, reservation("acc_nack", 0))[0]
	select {
	case m := <-all:
		if m.UUID != ev.ID.String() {
			t.Fatalf("message %s, want %s", m.UUID, ev.ID)
		}
		m.Nack()
	case <-time.After(wait):
		t.Fatal("no message")
	}
	if m := receive(t, all, "redelivery after nack"); m.UUID != ev.ID.String() {
		t.Fatalf("redelivered %s, want %s", m.UUID, ev.ID)
	}
}

// testLag: while the bus refuses, the relay's lag counts the events not
// published and its error says why; once it takes them, the lag is zero.
func testLag(t *testing.T, b Bus) {
	l, _ := openLog(t)
	all := subscribe(t, b, events.TopicEvents)
	pub := &failingPublisher{Publisher: b.Publisher, down: true}
	r, _ := startRelay(t, l, pub, events.RelayOptions{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	var drafts []events.Draft
	for i := range 20 {
		drafts = append(drafts, reservation("acc_lag", i))
	}
	evs := mustAppend(t, l, drafts...)
	if lag := r.Lag(); lag != 20 {
		t.Fatalf("lag %d with the bus down, want 20", lag)
	}
	eventually(t, "the relay reports the bus error", func() bool { return errors.Is(r.Err(), errBusDown) })
	pub.set(false)
	receiveUntil(t, all, evs[len(evs)-1].ID, events.TopicEvents)
	eventually(t, "lag 0 once published", func() bool { return r.Lag() == 0 && r.Err() == nil })
}

// eventually polls cond until it holds, failing after wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", wait, what)
		}
		time.Sleep(time.Millisecond)
	}
}
