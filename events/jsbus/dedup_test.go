package jsbus_test

import (
	"context"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"warren/events/jsbus"
)

// streamMsgs is how many messages topic's stream holds.
func streamMsgs(t *testing.T, url, stream string) uint64 {
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
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// TestPublisher_DedupsByUUID: a message published twice with one UUID
// (the relay retrying after a lost PubAck) is stored once.
func TestPublisher_DedupsByUUID(t *testing.T) {
	s := startServer(t)
	pub, err := jsbus.NewPublisher(jsbus.Config{URL: s.URL(), Name: "test-pub"})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	const id = "01JEXAMPLE0000000000000000"
	for range 2 {
		if err := pub.Publish("events", message.NewMessage(id, []byte(`{}`))); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Publish("events", message.NewMessage("01JEXAMPLE0000000000000001", []byte(`{}`))); err != nil {
		t.Fatal(err)
	}
	if n := streamMsgs(t, s.URL(), "warren_events"); n != 2 {
		t.Fatalf("stream holds %d messages after publishing one id twice and another once, want 2", n)
	}
}
