package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"warren/domain"
	"warren/edge/agent"
)

// startMetricsMain runs a server with a metrics listener, both on loopback.
func startMetricsMain(t *testing.T, setup func(*Main)) *Main {
	t.Helper()
	m := NewMain(Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0",
		Domain: "warren.test", OperatorEmail: "root@warren.test", Stdout: io.Discard})
	if setup != nil {
		setup(m)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if m.MetricsAddr() == "" {
		t.Fatal("no metrics listener")
	}
	return m
}

// get fetches url with Host set to host (when not empty).
func get(t *testing.T, url, host string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// scrape reads the metrics listener's /metrics as Prometheus would.
func scrape(t *testing.T, m *Main) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := get(t, "http://"+m.MetricsAddr()+"/metrics", "")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d: %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, body)
	}
	return fams
}

// value is the sample of family name whose labels include want (name=value
// pairs); ok is false when there is none. Histograms give their count.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, mt := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range mt.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if have[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case mt.Counter != nil:
			return mt.Counter.GetValue(), true
		case mt.Gauge != nil:
			return mt.Gauge.GetValue(), true
		case mt.Histogram != nil:
			return float64(mt.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func mustValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	v, ok := value(fams, name, want...)
	if !ok {
		t.Fatalf("no %s%v in the scrape", name, want)
	}
	return v
}

// TestMetrics_Lint checks every metric Warren serves against Prometheus's
// naming conventions (units, _total on counters, help text).
func TestMetrics_Lint(t *testing.T) {
	m := startMetricsMain(t, nil)
	problems, err := testutil.GatherAndLint(m.metrics.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	// Ours alone, as a collector (the registry also holds Go's and the
	// process's), must describe and collect the same metrics.
	ours, err := testutil.CollectAndLint(m.metrics.own)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ours {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	if n := testutil.CollectAndCount(m.metrics.own); n < 15 {
		t.Errorf("%d series collected, want every metric's", n)
	}
}

// TestMetrics_ScrapeAfterTrafficThroughATunnel sends public requests through
// a real agent's tunnel and a request for a host nobody serves, then reads
// /metrics as Prometheus would: the request counters, the duration
// histogram, the session and tunnel gauges and the capture counter moved.
func TestMetrics_ScrapeAfterTrafficThroughATunnel(t *testing.T) {
	m := startMetricsMain(t, nil)
	_, key := mustServeAccount(t, m, "metrics@example.com")
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "ok")
	})}
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go origin.Serve(oln)
	defer origin.Close()

	before := scrape(t, m)
	if v := mustValue(t, before, "warren_edge_agent_sessions"); v != 0 {
		t.Errorf("sessions before any agent = %v", v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ag, err := agent.Dial(ctx, agent.Options{Server: "http://" + m.Addr(), Key: key,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ag.Close(ctx)
	}()
	if _, err := ag.OpenHTTP(ctx, oln.Addr().String(), "metered"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if code, body := get(t, "http://"+m.Addr()+"/", "metered.warren.test"); code != http.StatusOK || body != "ok" {
			t.Fatalf("through the tunnel: %d %q", code, body)
		}
	}
	if code, _ := get(t, "http://"+m.Addr()+"/missing", "metered.warren.test"); code != http.StatusNotFound {
		t.Fatalf("the origin's 404 came back as %d", code)
	}
	if code, _ := get(t, "http://"+m.Addr()+"/", "nobody.warren.test"); code != http.StatusNotFound {
		t.Fatalf("an unknown tunnel answered %d", code)
	}

	// Captures are appended in batches, after the answers: wait for them.
	var after map[string]*dto.MetricFamily
	deadline := time.Now().Add(10 * time.Second)
	for {
		after = scrape(t, m)
		if v, _ := value(after, "warren_capture_events_total"); v >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("warren_capture_events_total never reached 4 (the tunnel's requests)")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"warren_edge_http_requests_total", []string{"code_class", "2xx"}, 3},
		{"warren_edge_http_requests_total", []string{"code_class", "4xx"}, 2}, // the origin's 404 and the edge's
		{"warren_edge_http_requests_total", []string{"code_class", "5xx"}, 0},
		{"warren_edge_http_request_duration_seconds", nil, 5},
		{"warren_edge_agent_sessions", nil, 1},
		{"warren_edge_tunnels", []string{"proto", domain.ProtoHTTP}, 1},
		{"warren_edge_tunnels", []string{"proto", domain.ProtoTCP}, 0},
		{"warren_capture_dropped_total", []string{"reason", "failed"}, 0},
		{"warren_capture_dropped_total", []string{"reason", "unwritable"}, 0},
		{"warren_sse_subscribers", nil, 0},
		{"warren_build_info", nil, 1},
	} {
		if got := mustValue(t, after, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if v := mustValue(t, after, "warren_eventlog_append_duration_seconds"); v <= mustValue(t, before, "warren_eventlog_append_duration_seconds") {
		t.Errorf("append duration count did not move: %v", v)
	}
	if v := mustValue(t, after, "warren_eventlog_size_bytes"); v <= 0 {
		t.Errorf("warren_eventlog_size_bytes = %v", v)
	}
	mustValue(t, after, "warren_eventlog_relay_lag_events")
	mustValue(t, after, "go_goroutines")
	mustValue(t, after, "process_start_time_seconds")
	for _, name := range []string{"warren_tls_certificates", "warren_acme_obtain_total"} {
		if f := after[name]; f != nil && len(f.GetMetric()) > 0 {
			t.Errorf("%s has series with no certificate source: %v", name, f)
		}
	}
	// No label names an account, a tunnel, a host or a path.
	for name, f := range after {
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if v := l.GetValue(); strings.Contains(v, "metered") || strings.Contains(v, "warren.test") || strings.HasPrefix(v, "/") {
					t.Errorf("%s has label %s=%q", name, l.GetName(), v)
				}
			}
		}
	}
}

// TestMetrics_ListenerIsSeparateFromThePublicOne: pprof, /metrics and
// /readyz answer on the metrics listener; pprof and /metrics are on no
// host of the public listener (the API host, an IP literal, a tunnel host).
func TestMetrics_ListenerIsSeparateFromThePublicOne(t *testing.T) {
	m := startMetricsMain(t, nil)
	mt := "http://" + m.MetricsAddr()
	if code, body := get(t, mt+"/debug/pprof/", ""); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("pprof index on the metrics listener: %d %.200q", code, body)
	}
	if code, body := get(t, mt+"/debug/pprof/goroutine?debug=1", ""); code != http.StatusOK || !strings.Contains(body, "goroutine profile") {
		t.Errorf("goroutine profile on the metrics listener: %d %.200q", code, body)
	}
	if code, body := get(t, mt+"/readyz", ""); code != http.StatusOK || !strings.Contains(body, `"ready"`) {
		t.Errorf("/readyz on the metrics listener: %d %q", code, body)
	}
	pub := "http://" + m.Addr()
	for _, host := range []string{"", "warren.test", "api.warren.test", "some-tunnel.warren.test"} {
		for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"} {
			code, body := get(t, pub+path, host)
			if code != http.StatusNotFound || strings.Contains(body, "goroutine profile") || strings.Contains(body, "# HELP") {
				t.Errorf("public %s%s = %d %.200q; want a 404", host, path, code, body)
			}
		}
	}
}

// TestMetrics_ReadyzAsksEveryCheck: a check added for TLS (the base
// certificate not loaded yet) makes /readyz 503 on both listeners.
func TestMetrics_ReadyzAsksEveryCheck(t *testing.T) {
	notYet := errors.New("the base certificate is not loaded")
	m := startMetricsMain(t, func(m *Main) {
		m.addReadyCheck(func() error { return domain.Errorf(domain.CodeUnavailable, "%v", notYet) })
	})
	for _, url := range []string{"http://" + m.MetricsAddr() + "/readyz", "http://" + m.Addr() + "/readyz"} {
		code, body := get(t, url, "")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, notYet.Error()) {
			t.Errorf("%s = %d %q; want 503 naming the check", url, code, body)
		}
	}
}

// TestMetrics_TLSHookFillsItsSeries: what a certificate source reports
// through reportTLS is served, series reported twice summed (a duplicate
// would fail the scrape).
func TestMetrics_TLSHookFillsItsSeries(t *testing.T) {
	m := startMetricsMain(t, func(m *Main) {
		m.reportTLS(func() TLSMetrics {
			return TLSMetrics{
				Certificates: []CertificateCount{{"acme", "valid", 2}, {"acme", "valid", 1}, {"files", "expired", 1}},
				Obtains:      []ObtainCount{{"dns-01", "ok", 3}, {"http-01", "error", 1}},
			}
		})
	})
	fams := scrape(t, m)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"warren_tls_certificates", []string{"source", "acme", "status", "valid"}, 3},
		{"warren_tls_certificates", []string{"source", "files", "status", "expired"}, 1},
		{"warren_acme_obtain_total", []string{"challenge", "dns-01", "result", "ok"}, 3},
		{"warren_acme_obtain_total", []string{"challenge", "http-01", "result", "error"}, 1},
	} {
		if got := mustValue(t, fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}
