package jsbus_test

import (
	"testing"

	"go.uber.org/goleak"

	"warren/events/bustest"
	"warren/events/jsbus"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startServer starts an embedded server on a fresh store, shut down when
// the test ends (after everything registered later, e.g. its clients).
func startServer(t testing.TB) *jsbus.Server {
	t.Helper()
	s, err := jsbus.StartServer(jsbus.ServerConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// TestJetStream runs the bus contract against JetStream through
// watermill-nats, each subtest on a server of its own.
func TestJetStream(t *testing.T) {
	bustest.Run(t, func(t *testing.T) bustest.Bus {
		s := startServer(t)
		pub, err := jsbus.NewPublisher(jsbus.Config{URL: s.URL(), Name: "test-pub"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pub.Close() })
		sub, err := jsbus.NewSubscriber(jsbus.Config{URL: s.URL(), Name: "test-sub", Durable: "test"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sub.Close() })
		return bustest.Bus{Publisher: pub, Subscriber: sub}
	})
}
