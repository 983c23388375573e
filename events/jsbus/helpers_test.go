package jsbus_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"

	"warren/events"
	"warren/events/jsbus"
	"warren/events/logtest"
)

// wait bounds every wait in these tests.
const wait = 30 * time.Second

// keys draws captures' keys, monotonic as an edge's are.
type keys struct {
	mu sync.Mutex
	e  *ulid.MonotonicEntropy
}

func newKeys() *keys { return &keys{e: ulid.Monotonic(rand.Reader, 0)} }

func (k *keys) next() ulid.ULID {
	k.mu.Lock()
	defer k.mu.Unlock()
	return ulid.MustNew(ulid.Now(), k.e)
}

// capture is the draft of the n-th test capture.
func capture(n int) events.Draft {
	return events.Draft{Type: events.RequestCaptured, Account: "acc_edge",
		Data:   json.RawMessage(fmt.Sprintf(`{"tunnelId":"tun_edge","kind":"http","n":%d}`, n)),
		Bodies: [][]byte{[]byte(fmt.Sprintf("body %d", n))}}
}

func startConsumer(t *testing.T, url string, l *events.Log) *jsbus.Consumer {
	t.Helper()
	c, err := jsbus.StartConsumer(jsbus.ConsumerConfig{Bus: jsbus.Config{URL: url, Name: "test-control"}, Workers: 8}, l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func startSender(t *testing.T, url, dir string, limit int64) *jsbus.Sender {
	t.Helper()
	s, err := jsbus.NewSender(jsbus.SenderConfig{Bus: jsbus.Config{URL: url, Name: "test-edge"}, SpoolDir: dir, SpoolLimit: limit,
		AckTimeout: time.Second, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openLog(t *testing.T) *events.Log {
	l, _ := logtest.Open(t, events.Options{})
	return l
}

// captured counts the log's captures by their n.
func captured(t *testing.T, l *events.Log) map[int]int {
	t.Helper()
	got := map[int]int{}
	err := l.ReadFrom(ulid.ULID{}, func(ev events.Event) error {
		var d struct{ N int }
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		got[d.N]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// waitCount waits until the log holds n events.
func waitCount(t *testing.T, l *events.Log, n uint64) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		h, err := l.Head()
		if err != nil {
			t.Fatal(err)
		}
		if h.Count >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log holds %d events after %s, want %d", h.Count, wait, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// once checks that each of the captures 0..n-1 is in the log exactly once.
func once(t *testing.T, l *events.Log, n int, dropped map[int]bool) {
	t.Helper()
	got := captured(t, l)
	for i := range n {
		want := 1
		if dropped[i] {
			want = 0
		}
		if got[i] != want {
			t.Fatalf("capture %d is in the log %d times, want %d", i, got[i], want)
		}
	}
	if len(got) != n-len(dropped) {
		t.Fatalf("the log holds %d distinct captures, want %d", len(got), n-len(dropped))
	}
}

// streamKeys reads the keys of the captures stream, in stream order.
func streamKeys(t *testing.T, url string) []ulid.ULID {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := js.Stream(ctx, "warren_captures")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []ulid.ULID
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		k, ok := events.DraftKey(m.Data)
		if !ok {
			t.Fatalf("stream message %d is not a draft", seq)
		}
		out = append(out, k)
	}
	return out
}
