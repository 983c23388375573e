package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"warren/events"
	"warren/events/jsbus"
)

// roleCollector reports the JetStream side of a node at scrape time: the
// control plane's capture Consumer and its JetStream relay, and a capture
// Sender where there is one. With --role all it reports nothing.
type roleCollector struct {
	consumer *jsbus.Consumer
	relay    *events.Relay
	sender   *jsbus.Sender

	consumed, relayLag, sent, spooled, dropped *prometheus.Desc
}

func (m *Main) roleCollector() *roleCollector {
	d := prometheus.NewDesc
	return &roleCollector{
		consumer: m.control.consumer, relay: m.control.relay, sender: m.control.sender,
		consumed: d("warren_jetstream_captures_consumed_total", "Edges' captures the control plane took from JetStream, by result: appended, repeated (already in the log), rejected (undecodable).", []string{"result"}, nil),
		relayLag: d("warren_jetstream_relay_lag_events", "Committed events not yet published to JetStream for the edges.", nil, nil),
		sent:     d("warren_capture_sender_sent_total", "Captures JetStream acknowledged from this node's spool (sends again included).", nil, nil),
		spooled:  d("warren_capture_sender_spool_bytes", "Bytes of captures in this node's spool, not yet acknowledged.", nil, nil),
		dropped:  d("warren_capture_sender_dropped_total", "Captures lost by this node's sender: refused by a full spool, or torn in it after a crash.", nil, nil),
	}
}

func (c *roleCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.consumed, c.relayLag, c.sent, c.spooled, c.dropped} {
		ch <- d
	}
}

func (c *roleCollector) Collect(ch chan<- prometheus.Metric) {
	if c.consumer != nil {
		st := c.consumer.Stats()
		for result, v := range map[string]uint64{"appended": st.Appended, "repeated": st.Repeated, "rejected": st.Rejected} {
			ch <- prometheus.MustNewConstMetric(c.consumed, prometheus.CounterValue, float64(v), result)
		}
	}
	if c.relay != nil {
		ch <- prometheus.MustNewConstMetric(c.relayLag, prometheus.GaugeValue, float64(c.relay.Lag()))
	}
	if c.sender != nil {
		st := c.sender.Stats()
		ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(st.Sent))
		ch <- prometheus.MustNewConstMetric(c.spooled, prometheus.GaugeValue, float64(st.Spooled))
		ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(st.Dropped))
	}
}
