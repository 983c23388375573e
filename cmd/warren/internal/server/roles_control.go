package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"warren/events"
	"warren/events/jsbus"
)

// controlState is what --role control adds to a Main: the embedded NATS
// server (nil with --nats-url), a second outbox relay publishing every
// committed event on JetStream for the edges, and the Consumer appending
// the edges' captures to the log.
type controlState struct {
	nats      *jsbus.Server
	pub       *jsbus.Publisher
	relay     *events.Relay
	stopRelay context.CancelFunc
	relayDone chan struct{}
	consumer  *jsbus.Consumer
	// sender, when sendCaptures is set before Run, takes this process's
	// own edge's captures over JetStream as an edge node's would go
	// (roles_edge.go): the one-process test of the edge's capture path.
	sender       *jsbus.Sender
	sendCaptures bool
}

// natsConfig is the connection configuration this node's NATS clients use.
func (m *Main) natsConfig(url, name string) jsbus.Config {
	return jsbus.Config{URL: url, Name: name, NKeySeedFile: m.cfg.Roles.NKeySeedFile, CredsFile: m.cfg.Roles.CredsFile}
}

// startControl starts the control plane's JetStream side once the log is
// open. The in-process GoChannel relay goes on feeding the API's SSE and
// the local subscribers; this relay, under its own stored position
// ("jetstream"), feeds the edges, so an edge outage never holds SSE back.
func (m *Main) startControl() error {
	rs := m.cfg.Roles
	url := rs.NATSURL
	if url == "" {
		s, err := jsbus.StartServer(jsbus.ServerConfig{
			Dir: filepath.Join(m.cfg.DataDir, "nats"), Host: rs.NATSHost, Port: rs.NATSPort, NKeys: rs.AllowNKeys,
		})
		if err != nil {
			return fmt.Errorf("starting the embedded NATS server: %w", err)
		}
		m.control.nats = s
		url = s.URL()
		fmt.Fprintf(m.cfg.Stdout, "NATS JetStream (embedded) listening on %s\n", url)
	}
	var err error
	if m.control.pub, err = jsbus.NewPublisher(m.natsConfig(url, "warren-control")); err != nil {
		return err
	}
	if m.control.relay, err = events.NewRelay(m.Log, m.control.pub, events.RelayOptions{Name: "jetstream", OnError: func(err error) {
		m.cfg.Logger.Warn("publishing committed events to JetStream failed; retrying", "err", err)
	}}); err != nil {
		return err
	}
	bus := m.natsConfig(url, "warren-control-captures")
	bus.Durable = "control"
	if m.control.consumer, err = jsbus.StartConsumer(jsbus.ConsumerConfig{Bus: bus, Logf: func(format string, args ...any) {
		m.cfg.Logger.Warn("capture from an edge: " + fmt.Sprintf(format, args...))
	}}, m.Log); err != nil {
		return err
	}
	if m.control.sendCaptures {
		if m.control.sender, err = m.startSender(url); err != nil {
			return err
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	m.control.stopRelay, m.control.relayDone = stop, make(chan struct{})
	go func() {
		defer close(m.control.relayDone)
		if err := m.control.relay.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			m.cfg.Logger.Error("the JetStream relay stopped", "err", err)
		}
	}()
	return nil
}

// stopControl stops, in order, the capture sender, the Consumer (its appends finish before
// the log closes), the JetStream relay (it stores its position), the
// publisher and the embedded server. Safe on a partly started state.
func (m *Main) stopControl() error {
	var errs []error
	c := &m.control
	if c.sender != nil { // after the edge's last captures, before the consumer
		errs = append(errs, c.sender.Close())
		c.sender = nil
	}
	if c.consumer != nil {
		errs = append(errs, c.consumer.Close())
		c.consumer = nil
	}
	if c.relayDone != nil {
		c.stopRelay()
		<-c.relayDone
		c.relayDone = nil
	}
	if c.pub != nil {
		errs = append(errs, c.pub.Close())
		c.pub = nil
	}
	if c.nats != nil {
		c.nats.Shutdown()
		c.nats = nil
	}
	return errors.Join(errs...)
}

// NATSURL is the embedded NATS server's client URL ("" without one).
func (m *Main) NATSURL() string {
	if m.control.nats == nil {
		return ""
	}
	return m.control.nats.URL()
}
