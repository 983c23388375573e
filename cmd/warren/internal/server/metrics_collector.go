package server

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"

	"warren/edge"
	"warren/events"
	"warren/httpapi"
)

// collector turns the components' snapshots into metrics at scrape time:
// the request path only bumps atomics, and nothing here is computed until
// Prometheus asks. Labels are bounded sets (status classes, protocols,
// reasons, certificate sources); no label names an account, a tunnel, a
// host or a path.
type collector struct {
	edge  *edge.Server
	log   *events.Log
	relay *events.Relay
	api   *httpapi.Server
	tls   func() TLSMetrics
	// version is the binary's, read once.
	version string

	requests, requestDuration, sessions, tunnels         *prometheus.Desc
	captured, dropped, queued, queuedBytes, queueWaited  *prometheus.Desc
	appendDuration, logSize, logEvents, relayLag         *prometheus.Desc
	sseSubscribers, certificates, acmeObtains, buildInfo *prometheus.Desc
}

func newCollector(e *edge.Server, log *events.Log, relay *events.Relay, api *httpapi.Server, tls func() TLSMetrics) *collector {
	d := prometheus.NewDesc
	return &collector{
		edge: e, log: log, relay: relay, api: api, tls: tls, version: binaryVersion(),

		requests:        d("warren_edge_http_requests_total", "Public HTTP requests answered on tunnel hosts, by status class.", []string{"code_class"}, nil),
		requestDuration: d("warren_edge_http_request_duration_seconds", "How long public HTTP requests on tunnel hosts took to answer, WebSocket upgrades excepted.", nil, nil),
		sessions:        d("warren_edge_agent_sessions", "Agent sessions connected now.", nil, nil),
		tunnels:         d("warren_edge_tunnels", "Tunnels open now, by protocol.", []string{"proto"}, nil),
		captured:        d("warren_capture_events_total", "Captured exchanges appended to the event log.", nil, nil),
		dropped:         d("warren_capture_dropped_total", "Public exchanges not captured: failed (the append failed), unwritable (refused with 503 while the log could not write).", []string{"reason"}, nil),
		queued:          d("warren_capture_queued_events", "Captured exchanges waiting to be appended.", nil, nil),
		queuedBytes:     d("warren_capture_queued_bytes", "Body bytes held by captures waiting to be appended.", nil, nil),
		queueWaited:     d("warren_capture_queue_wait_seconds_total", "Time public requests spent waiting on a full capture queue.", nil, nil),
		appendDuration:  d("warren_eventlog_append_duration_seconds", "How long an append waited for its outcome, fsync included.", nil, nil),
		logSize:         d("warren_eventlog_size_bytes", "Size of the event log file on disk.", nil, nil),
		logEvents:       d("warren_eventlog_events", "Events in the log.", nil, nil),
		relayLag:        d("warren_eventlog_relay_lag_events", "Committed events the outbox relay has not published yet.", nil, nil),
		sseSubscribers:  d("warren_sse_subscribers", "Server-sent event streams open now.", nil, nil),
		certificates:    d("warren_tls_certificates", "TLS certificates held, by source and status.", []string{"source", "status"}, nil),
		acmeObtains:     d("warren_acme_obtain_total", "ACME certificate obtain attempts, by challenge and result.", []string{"challenge", "result"}, nil),
		buildInfo:       d("warren_build_info", "Always 1; the labels say which build is running.", []string{"version", "goversion"}, nil),
	}
}

// Describe sends every metric's description, also those with no series yet
// (the TLS ones before a certificate source is wired).
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.requests, c.requestDuration, c.sessions, c.tunnels,
		c.captured, c.dropped, c.queued, c.queuedBytes, c.queueWaited,
		c.appendDuration, c.logSize, c.logEvents, c.relayLag,
		c.sseSubscribers, c.certificates, c.acmeObtains, c.buildInfo,
	} {
		ch <- d
	}
}

// Collect reads the snapshots: atomics, a file's size, and the edge's
// sessions and tunnels counted under its read lock.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	histogram := func(d *prometheus.Desc, h events.HistogramSnapshot) {
		ch <- prometheus.MustNewConstHistogram(d, h.Count, h.Sum, h.Buckets)
	}

	es := c.edge.Stats()
	for class, n := range es.HTTPRequests {
		counter(c.requests, float64(n), class)
	}
	histogram(c.requestDuration, es.HTTPDuration)
	gauge(c.sessions, float64(es.AgentSessions))
	for proto, n := range es.Tunnels {
		gauge(c.tunnels, float64(n), proto)
	}
	counter(c.captured, float64(es.Capture.Appended))
	counter(c.dropped, float64(es.Capture.Failed), "failed")
	counter(c.dropped, float64(es.Capture.Unwritable), "unwritable")
	gauge(c.queued, float64(es.Capture.Queued))
	gauge(c.queuedBytes, float64(es.Capture.QueuedBytes))
	counter(c.queueWaited, es.Capture.Waited.Seconds())

	ls := c.log.Stats()
	histogram(c.appendDuration, ls.AppendDuration)
	if ls.SizeBytes >= 0 {
		gauge(c.logSize, float64(ls.SizeBytes))
	}
	gauge(c.logEvents, float64(ls.Committed))
	gauge(c.relayLag, float64(c.relay.Lag()))
	gauge(c.sseSubscribers, float64(c.api.Stats().SSESubscribers))

	tm := c.tls()
	for k, n := range tm.certificates() {
		gauge(c.certificates, float64(n), k[0], k[1])
	}
	for k, n := range tm.obtains() {
		counter(c.acmeObtains, float64(n), k[0], k[1])
	}
	gauge(c.buildInfo, 1, c.version, runtime.Version())
}

// binaryVersion is the module version the binary was built at, or its VCS
// revision for a development build, or "devel".
func binaryVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return s.Value[:12]
		}
	}
	return "devel"
}
