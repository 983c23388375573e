package server

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"warren/events"
	"warren/httpapi"
)

// metricsState is Main's part for the metrics listener and /readyz.
type metricsState struct {
	ln  *listener            // nil without Config.MetricsAddr
	reg *prometheus.Registry // what /metrics serves (private)
	own *collector           // Warren's own metrics, in reg
	// readyChecks are what /readyz asks beyond the log's writability (the
	// TLS certificate source adds its Ready). Added before Run serves,
	// read by every /readyz after: no lock.
	readyChecks []func() error
	// tls reports the certificate sources' numbers; nil until one is wired.
	tls func() TLSMetrics
}

// addReadyCheck makes /readyz (public and metrics listeners) fail while
// check does. Call it before Run starts serving.
func (m *Main) addReadyCheck(check func() error) {
	m.metrics.readyChecks = append(m.metrics.readyChecks, check)
}

// reportTLS sets where warren_tls_certificates and warren_acme_obtain_total
// come from. Call it before Run starts serving.
func (m *Main) reportTLS(f func() TLSMetrics) { m.metrics.tls = f }

// tlsMetrics reads the certificate sources' numbers, none until reportTLS.
func (m *Main) tlsMetrics() TLSMetrics {
	if m.metrics.tls == nil {
		return TLSMetrics{}
	}
	return m.metrics.tls()
}

// ready is /readyz's check: the log takes appends, then every added check.
// It holds on to log rather than reading m.Log, which Close clears while a
// request cut off after the grace period may still be running.
func (m *Main) ready(log *events.Log) func() error {
	return func() error {
		if err := log.Writable(); err != nil {
			return err
		}
		for _, check := range m.metrics.readyChecks {
			if err := check(); err != nil {
				return err
			}
		}
		return nil
	}
}

// listenMetrics binds Config.MetricsAddr, when set, and adds it to the
// listeners Run serves and Close shuts down. It serves /metrics from a
// private registry (never prometheus's default one, which any imported
// package may fill), /debug/pprof/ and /readyz. None of them is on the
// public listener: profiles and internals are for the operator's network.
func (m *Main) listenMetrics(h handlers) error {
	if m.cfg.MetricsAddr == "" {
		return nil
	}
	l, err := listen("metrics", m.cfg.MetricsAddr)
	if err != nil {
		return err
	}
	m.listeners = append(m.listeners, l)
	reg := prometheus.NewRegistry()
	own := newCollector(h.edge, m.Log, m.Relay, h.api, m.tlsMetrics)
	m.metrics.ln, m.metrics.reg, m.metrics.own = l, reg, own
	if err := errors.Join(
		reg.Register(collectors.NewGoCollector()),
		reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})),
		reg.Register(own),
		reg.Register(m.roleCollector()), // roles_metrics.go
	); err != nil {
		return err
	}
	l.srv = newMetricsServer(reg, httpapi.Readiness(m.ready(m.Log)), m.cfg.Logger)
	m.cfg.Logger.Info("serving metrics", "addr", l.ln.Addr().String())
	return nil
}

// MetricsAddr is the metrics listener's address ("" when off).
func (m *Main) MetricsAddr() string {
	if m.metrics.ln == nil {
		return ""
	}
	return m.metrics.ln.ln.Addr().String()
}

// newMetricsServer serves the metrics listener's three things on a mux of
// its own. pprof's handlers are mounted here explicitly: importing
// net/http/pprof also registers them on http.DefaultServeMux, which no
// Warren listener serves.
func newMetricsServer(reg *prometheus.Registry, ready http.Handler, logger *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// A scrape that cannot gather everything still shows the rest.
		ErrorHandling: promhttp.ContinueOnError,
		// Scrapes are cheap, but a runaway scraper must not pile them up.
		MaxRequestsInFlight: 4,
	}))
	mux.Handle("/readyz", ready)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: a CPU profile or a trace streams for as long as
		// its ?seconds= asks, and pprof refuses one longer than the
		// server's write timeout.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
