// Package server is Warren's composition root: it opens the log, builds the
// projections, the edge and the API, routes hosts between them, and owns the
// listeners, the bus and the retention sweep. `warren serve` is Main.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/edge"
	"warren/events"
	"warren/httpapi"
)

// Main is a running server: the log, the bus, the edge and the listeners.
// Tests build one on t.TempDir() and 127.0.0.1:0, call Run, then Close.
type Main struct {
	cfg Config

	Log    *events.Log
	PubSub *gochannel.GoChannel
	Edge   *edge.Server
	// Signer signs checkpoints of the log; loaded (made on the first
	// start, 0600) once by Run, never per request.
	Signer *events.Signer
	// Relay publishes committed events on PubSub, from the log by position.
	Relay     *events.Relay
	stopRelay context.CancelFunc
	relayDone chan struct{}

	public    *listener // the one public address: API host and tunnels
	listeners []*listener
	serving   sync.WaitGroup // one Serve goroutine per listener
	serveErr  chan error
	retention *retention

	metrics metricsState // metrics.go: its listener, /readyz's checks, TLS hooks

	// streams ends event streams at shutdown; see cutStreams.
	streams    context.Context
	endStreams context.CancelFunc

	// TLS (tls_listen.go): the certificate source, and the plain listener
	// that redirects to https; both nil without TLS.
	certs CertSource
	plain *listener

	accessSecrets *accessSecrets // secrets_access.go: reservations' OIDC client secrets
}

// NewMain returns an unstarted server.
func NewMain(cfg Config) *Main {
	cfg.defaults()
	m := &Main{cfg: cfg, serveErr: make(chan error, 1)}
	m.streams, m.endStreams = context.WithCancel(context.Background())
	return m
}

// Run opens the log, creates the operator account on the first start of an
// empty log, and starts serving. It returns once the listeners are up;
// serving goes on until Close. A listener that fails later is reported
// through Err.
func (m *Main) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	// GoChannel is the in-process bus; a bounded buffer per subscriber, and
	// the log, not the bus, is the truth (see DESIGN.md, Watermill).
	// BlockPublishUntilSubscriberAck keeps each topic in log order (without
	// it GoChannel hands each message on from a goroutine of its own); a
	// subscriber slow to ack stalls the relay, never an append.
	m.PubSub = gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024, BlockPublishUntilSubscriberAck: true},
		watermill.NewSlogLogger(slog.New(minLevel{m.cfg.Logger.Handler(), slog.LevelWarn})))
	caughtUp := func(n uint64) {
		if n > 0 {
			m.cfg.Logger.Info("projections brought up to date", "events", n)
		}
	}
	if m.Log, err = OpenLog(m.cfg.DataDir, OpenOptions{CaughtUp: caughtUp}, events.Options{Now: m.cfg.Now}); err != nil {
		return err
	}
	// The outbox relay publishes committed events from the log; it starts
	// once the subscribers (edge, API) exist, below.
	if m.Relay, err = events.NewRelay(m.Log, m.PubSub, events.RelayOptions{OnError: func(err error) {
		m.cfg.Logger.Warn("publishing committed events failed; retrying", "err", err)
	}}); err != nil {
		return err
	}
	// A key that cannot be made or read stops the start: checkpoints are
	// the log's tamper evidence.
	if m.Signer, err = events.LoadOrCreateSigner(m.cfg.DataDir); err != nil {
		return err
	}
	if err = m.listenPublic(); err != nil {
		return err
	}
	resolver, err := httpapi.NewDNSResolver(m.cfg.DNSResolver)
	if err != nil {
		return err
	}
	h, err := m.handlers(resolver)
	if err != nil {
		return err
	}
	m.Edge = h.edge
	if err := m.listenMetrics(h); err != nil {
		return err
	}
	m.public.srv = newPublicServer(cutStreams(m.streams, h.router), m.cfg.Logger)
	// Event streams never finish on their own: end them when shutdown
	// starts, so the drain waits only for requests that do finish.
	m.public.srv.RegisterOnShutdown(m.endStreams)
	m.finishTLS(h.router)
	// Last before serving, so a key is never made that a later failure
	// would keep from being shown.
	secret, acc, err := m.bootstrap(ctx)
	if err != nil {
		return err
	}
	relayCtx, stopRelay := context.WithCancel(context.Background())
	m.stopRelay = stopRelay
	m.relayDone = make(chan struct{})
	go func() {
		defer close(m.relayDone)
		if err := m.Relay.Run(relayCtx); err != nil && !errors.Is(err, context.Canceled) {
			m.cfg.Logger.Error("the outbox relay stopped", "err", err)
		}
	}()
	for _, l := range m.listeners {
		m.serve(l)
	}
	m.announceTLS()
	m.announce(secret, acc)
	m.retention = startRetention(m.Log, m.cfg)
	return nil
}

// Addr is the public listener's address (useful after ":0").
func (m *Main) Addr() string {
	if m.public == nil {
		return ""
	}
	return m.public.ln.Addr().String()
}

// publicPort is the port public URLs show: the configured one, else the listener's.
func (m *Main) publicPort() int {
	if m.cfg.PublicPort != 0 {
		return m.cfg.PublicPort
	}
	p, _ := strconv.Atoi(portOf(m.Addr()))
	return p
}

// URL is the public base URL people use: <scheme>://<domain>[:port].
func (m *Main) URL() string {
	scheme := m.cfg.Scheme
	if scheme == "" {
		scheme = "http"
	}
	port := m.publicPort()
	if port == 0 || scheme == "http" && port == 80 || scheme == "https" && port == 443 {
		return scheme + "://" + m.cfg.Domain
	}
	return scheme + "://" + net.JoinHostPort(m.cfg.Domain, strconv.Itoa(port))
}

// Err delivers a serving failure (a listener died); it never delivers on Close.
func (m *Main) Err() <-chan error { return m.serveErr }

// Close shuts the server down: every listener stops accepting and drains
// its requests in flight for at most ShutdownGrace (event streams are ended
// at once, the rest cut after the grace), the edge closes the agent
// sessions (recording their tunnels as closed and appending the last
// captures), the retention sweep stops, then the log closes after its
// queued appends are committed, and the bus last.
func (m *Main) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownGrace)
	defer cancel()
	for _, l := range m.listeners {
		errs = append(errs, l.shutdown(ctx, m.cfg.Logger))
	}
	m.serving.Wait()
	m.listeners, m.public, m.plain = nil, nil, nil
	if m.certs != nil {
		errs = append(errs, m.certs.Close())
		m.certs = nil
	}
	if m.Edge != nil {
		// Agent connections are hijacked, so the drain above did not end them.
		errs = append(errs, m.Edge.Shutdown(ctx))
		m.Edge = nil
	}
	m.retention.stop()
	m.retention = nil
	if m.relayDone != nil {
		// After the edge's last appends; it stores its position as it stops.
		m.stopRelay()
		<-m.relayDone
		m.relayDone = nil
	}
	if m.Log != nil {
		errs = append(errs, m.Log.Close())
		m.Log = nil
	}
	errs = append(errs, m.accessSecrets.Close()) // secrets_access.go
	m.accessSecrets = nil
	if m.PubSub != nil {
		errs = append(errs, m.PubSub.Close())
		m.PubSub = nil
	}
	m.endStreams()
	return errors.Join(errs...)
}

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return port
}
