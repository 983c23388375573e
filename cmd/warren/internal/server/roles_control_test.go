package server

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"github.com/oklog/ulid/v2"

	"warren/events"
	"warren/events/jsbus"
)

func startControlMain(t *testing.T) *Main {
	t.Helper()
	m := NewMain(Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Domain: "warren.test", OperatorEmail: "root@warren.test",
		Stdout: io.Discard, Roles: RoleSettings{Role: RoleControl, NATSHost: "127.0.0.1"}})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if m.NATSURL() == "" {
		t.Fatal("--role control started no embedded NATS server")
	}
	return m
}

// TestControlRole_PublishesEventsOnJetStream: a control plane relays its
// committed events to JetStream, where an edge's durable subscriber finds
// them (the operator account made on the first start).
func TestControlRole_PublishesEventsOnJetStream(t *testing.T) {
	m := startControlMain(t)
	sub, err := jsbus.NewSubscriber(jsbus.Config{URL: m.NATSURL(), Name: "test-edge", Durable: "edge-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch, err := sub.Subscribe(ctx, events.TopicControl)
	if err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case msg, ok := <-ch:
			if !ok {
				t.Fatal("the subscription ended before account.created came")
			}
			msg.Ack()
			if msg.Metadata.Get(events.MetaType) == string(events.AccountCreated) {
				return
			}
		case <-ctx.Done():
			t.Fatal("no account.created on JetStream's control topic within 20 s")
		}
	}
}

// TestControlRole_AppendsEdgeCapturesOnce: a capture an edge sends (twice,
// as after a lost PubAck) is appended to the control plane's log once.
func TestControlRole_AppendsEdgeCapturesOnce(t *testing.T) {
	m := startControlMain(t)
	snd, err := jsbus.NewSender(jsbus.SenderConfig{Bus: jsbus.Config{URL: m.NATSURL(), Name: "test-edge"}, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	before := logCount(t, m)
	key := ulid.Make()
	d := events.Draft{Type: events.RequestCaptured, Account: "acc_edge",
		Data: json.RawMessage(`{"tunnelId":"tun_edge","kind":"http","method":"GET","path":"/"}`)}
	for range 2 {
		if err := snd.Send(key, d); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for m.control.consumer.Stats().Appended < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("capture not appended within 20 s: consumer %+v, sender %+v", m.control.consumer.Stats(), snd.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A second copy, past JetStream's dedup, would show as Repeated; give
	// it the time a redelivery takes, then count.
	time.Sleep(300 * time.Millisecond)
	if after := logCount(t, m); after-before != 1 {
		t.Fatalf("log grew by %d events, want 1", after-before)
	}
}

func logCount(t *testing.T, m *Main) uint64 {
	t.Helper()
	h, err := m.Log.Head()
	if err != nil {
		t.Fatal(err)
	}
	return h.Count
}

// TestControlRole_EmbeddedNATSWithNKeys: with nkeys, the control plane
// connects to its own embedded server with its seed, an edge with an
// allowed seed delivers captures, and a client without one is refused.
func TestControlRole_EmbeddedNATSWithNKeys(t *testing.T) {
	dir := t.TempDir()
	seed := func(name string) (file, pub string) {
		kp, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		s, _ := kp.Seed()
		pub, _ = kp.PublicKey()
		file = filepath.Join(dir, name)
		if err := os.WriteFile(file, s, 0o600); err != nil {
			t.Fatal(err)
		}
		return file, pub
	}
	ctlSeed, ctlPub := seed("control.nk")
	edgeSeed, edgePub := seed("edge.nk")
	m := NewMain(Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Domain: "warren.test", OperatorEmail: "root@warren.test",
		Stdout: io.Discard, Roles: RoleSettings{Role: RoleControl, NATSHost: "127.0.0.1", NKeySeedFile: ctlSeed, AllowNKeys: []string{edgePub, ctlPub}}})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if nc, err := nats.Connect(m.NATSURL()); err == nil {
		nc.Close()
		t.Fatal("a client without an nkey connected to the embedded server")
	}
	snd, err := jsbus.NewSender(jsbus.SenderConfig{Bus: jsbus.Config{URL: m.NATSURL(), Name: "test-edge", NKeySeedFile: edgeSeed}, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	if err := snd.Send(ulid.Make(), events.Draft{Type: events.RequestCaptured, Account: "acc_edge",
		Data: json.RawMessage(`{"tunnelId":"tun_edge","kind":"http","path":"/"}`)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for m.control.consumer.Stats().Appended < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the edge's capture was not appended within 20 s: sender %+v", snd.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
