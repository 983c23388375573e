package jsbus_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/events"
	"warren/events/jsbus"
)

// TestCaptureSentTwiceIsOneEvent: a capture sent twice (JetStream dedups
// by Nats-Msg-Id) and published again past the dedup window (another
// Nats-Msg-Id, the same key: AppendOnce skips it) is one event.
func TestCaptureSentTwiceIsOneEvent(t *testing.T) {
	s := startServer(t)
	l := openLog(t)
	c := startConsumer(t, s.URL(), l)
	snd := startSender(t, s.URL(), t.TempDir(), 1<<20)
	k := newKeys()
	first, second := k.next(), k.next()
	for _, key := range []ulid.ULID{first, first, second} {
		n := 0
		if key == second {
			n = 1
		}
		if err := snd.Send(key, capture(n)); err != nil {
			t.Fatal(err)
		}
	}
	// The same capture as a redelivery after the window would be.
	b, err := events.MarshalDraft(first, capture(0))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	m := nats.NewMsg("warren_captures")
	m.Data = b
	m.Header.Set("_watermill_message_uuid", first.String())
	m.Header.Set(nats.MsgIdHdr, "past-the-window")
	if err := nc.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the late copy reaches the consumer", func() bool { return c.Stats().Repeated >= 1 })
	waitCount(t, l, 2)
	once(t, l, 2, nil)
	if st := c.Stats(); st.Appended != 2 {
		t.Fatalf("consumer stats %+v, want 2 appended", st)
	}
}

// sendPaced sends n captures, one every gap, calling at(i) before the i-th.
func sendPaced(t *testing.T, snd *jsbus.Sender, k *keys, n int, gap time.Duration, at func(i int)) {
	for i := range n {
		if at != nil {
			at(i)
		}
		if err := snd.Send(k.next(), capture(i)); err != nil {
			t.Errorf("send %d: %v", i, err)
			return
		}
		time.Sleep(gap)
	}
}

// TestCaptureSurvivesNATSRestart: the embedded server shut down and
// started again (same port, same store) while captures are sent: every
// capture is appended once, and the stream holds them in the order sent.
func TestCaptureSurvivesNATSRestart(t *testing.T) {
	s := startServer(t)
	cfg := s.Config()
	l := openLog(t)
	startConsumer(t, s.URL(), l)
	snd := startSender(t, s.URL(), t.TempDir(), 64<<20)
	const n = 300
	restarted := make(chan *jsbus.Server, 1)
	sendPaced(t, snd, newKeys(), n, time.Millisecond, func(i int) {
		switch i {
		case 100:
			s.Shutdown()
		case 200:
			s2, err := jsbus.StartServer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s2.Shutdown)
			restarted <- s2
		}
	})
	s2 := <-restarted
	waitCount(t, l, n)
	once(t, l, n, nil)
	if st := snd.Stats(); st.Dropped != 0 {
		t.Fatalf("sender dropped %d", st.Dropped)
	}
	keys := streamKeys(t, s2.URL())
	for i := 1; i < len(keys); i++ {
		if keys[i].Compare(keys[i-1]) <= 0 {
			t.Fatalf("stream message %d (%s) after %s: out of order or stored twice", i, keys[i], keys[i-1])
		}
	}
	if len(keys) != n {
		t.Fatalf("stream holds %d captures, want %d", len(keys), n)
	}
}

// TestCaptureSurvivesConsumerRestart: the control plane's consumer closed
// and started again (same durable) while captures flow: none lost, none
// doubled.
func TestCaptureSurvivesConsumerRestart(t *testing.T) {
	s := startServer(t)
	l := openLog(t)
	c := startConsumer(t, s.URL(), l)
	snd := startSender(t, s.URL(), t.TempDir(), 64<<20)
	const n = 300
	sendPaced(t, snd, newKeys(), n, time.Millisecond, func(i int) {
		if i == 150 {
			c.Close()
			c = startConsumer(t, s.URL(), l)
		}
	})
	waitCount(t, l, n)
	// Past the count, a redelivered capture would show as a second copy.
	time.Sleep(200 * time.Millisecond)
	once(t, l, n, nil)
}

// TestCaptureSpoolsWhileNATSDown: with NATS down from the start, captures
// are spooled up to the limit and the rest dropped, counted and refused
// with CodeQuota; an edge restarted meanwhile keeps its spool; once NATS
// is up, every spooled capture is appended once, in the order sent.
func TestCaptureSpoolsWhileNATSDown(t *testing.T) {
	s := startServer(t)
	cfg := s.Config()
	s.Shutdown()
	dir := t.TempDir()
	// Room for about 20 of the ~120-byte records.
	const limit = 2500
	snd := startSender(t, s.URL(), dir, limit)
	k := newKeys()
	const n = 40
	dropped := map[int]bool{}
	for i := range n {
		if i == n/2 {
			// The edge restarts while NATS is down: the spool stays.
			snd.Close()
			snd = startSender(t, s.URL(), dir, limit)
		}
		err := snd.Send(k.next(), capture(i))
		switch domain.ErrorCode(err) {
		case "":
		case domain.CodeQuota:
			dropped[i] = true
		default:
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if len(dropped) == 0 || len(dropped) == n {
		t.Fatalf("%d of %d dropped: the limit did not bite as meant", len(dropped), n)
	}
	if st := snd.Stats(); st.Dropped != uint64(len(dropped)-countBefore(dropped, n/2)) || st.Spooled == 0 || st.Spooled > limit {
		t.Fatalf("stats %+v with %d dropped (%d before the restart)", st, len(dropped), countBefore(dropped, n/2))
	}
	eventually(t, "the sender reports NATS down", func() bool { return snd.Stats().Err != "" })
	s2, err := jsbus.StartServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s2.Shutdown)
	l := openLog(t)
	startConsumer(t, s2.URL(), l)
	waitCount(t, l, uint64(n-len(dropped)))
	once(t, l, n, dropped)
	keys := streamKeys(t, s2.URL())
	for i := 1; i < len(keys); i++ {
		if keys[i].Compare(keys[i-1]) <= 0 {
			t.Fatalf("stream message %d after a later one: out of order", i)
		}
	}
	eventually(t, "the spool empties", func() bool { st := snd.Stats(); return st.Spooled == 0 && st.Err == "" })
}

func countBefore(m map[int]bool, n int) int {
	c := 0
	for i := range m {
		if i < n {
			c++
		}
	}
	return c
}

// eventually polls cond until it holds, failing after wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", wait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestConsumerRejectsUndecodableCapture: a message that is no capture is
// acknowledged, counted and logged, never appended and never redelivered
// in a loop; the captures after it go on.
func TestConsumerRejectsUndecodableCapture(t *testing.T) {
	s := startServer(t)
	l := openLog(t)
	c := startConsumer(t, s.URL(), l)
	snd := startSender(t, s.URL(), t.TempDir(), 1<<20)
	nc, err := nats.Connect(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	m := nats.NewMsg("warren_captures")
	m.Data = []byte("not a capture")
	m.Header.Set("_watermill_message_uuid", "garbage")
	if err := nc.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	if err := snd.Send(newKeys().next(), capture(0)); err != nil {
		t.Fatal(err)
	}
	waitCount(t, l, 1)
	eventually(t, "the garbage is rejected", func() bool { return c.Stats().Rejected == 1 })
	time.Sleep(100 * time.Millisecond) // a redelivery would count again
	if st := c.Stats(); st.Rejected != 1 || st.Appended != 1 {
		t.Fatalf("stats %+v, want 1 rejected and 1 appended", st)
	}
	once(t, l, 1, nil)
}
