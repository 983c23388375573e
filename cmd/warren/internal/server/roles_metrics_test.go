package server

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/events"
	"warren/events/jsbus"
)

// TestControlRole_MetricsCountEdgeCaptures: /metrics on a control plane
// counts the captures its Consumer appended from an edge and shows the
// JetStream relay's lag.
func TestControlRole_MetricsCountEdgeCaptures(t *testing.T) {
	m := NewMain(Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", Domain: "warren.test",
		OperatorEmail: "root@warren.test", Stdout: io.Discard, Roles: RoleSettings{Role: RoleControl, NATSHost: "127.0.0.1"}})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	snd, err := jsbus.NewSender(jsbus.SenderConfig{Bus: jsbus.Config{URL: m.NATSURL(), Name: "test-edge"}, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	if err := snd.Send(ulid.Make(), events.Draft{Type: events.RequestCaptured, Account: "acc_edge",
		Data: json.RawMessage(`{"tunnelId":"tun_edge","kind":"http","path":"/"}`)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		fams := scrape(t, m)
		v, _ := value(fams, "warren_jetstream_captures_consumed_total", "result", "appended")
		_, lag := value(fams, "warren_jetstream_relay_lag_events")
		if v == 1 && lag {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("appended = %v, relay lag shown %v; want 1 and true", v, lag)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
