package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge"
	"warren/events"
	"warren/httpapi"
	"warren/projections"
)

// ServerConfig is what `warren serve` runs with.
type ServerConfig struct {
	DataDir       string // holds warren.db; created 0700
	Addr          string // listen address; ":0" picks a free port
	Domain        string // base domain: tunnels are <name>.<Domain>
	OperatorEmail string // first-start operator ("": operator@<Domain>)
	PublicPort    int    // port in public URLs (0: the listener's)
	TCPPorts      [2]int // range TCP tunnels draw from (zero: disabled)
	DNSResolver   string // host:port for custom-domain TXT checks ("": the system's)
	Scheme        string // "https" when TLS terminates in front ("": http)
	TCPHost       string // bind address of TCP tunnel listeners ("": 127.0.0.1)
	// ShutdownGrace bounds the wait for requests in flight at Close (0: 10 s).
	ShutdownGrace time.Duration
	// RetentionEvery is how often captured bodies past their plan's
	// retention are pruned (0: hourly).
	RetentionEvery time.Duration
	// RetainEventsDays caps, for every account, how long captured bodies
	// are kept (0: each plan's retention). Events are never deleted.
	RetainEventsDays int
	Stdout           io.Writer
	Logger           *slog.Logger
}

// Main is a running server: the log, the bus and the HTTP listener. Tests
// build one on t.TempDir() and 127.0.0.1:0, call Run, then Close.
type Main struct {
	cfg ServerConfig

	Log    *events.Log
	PubSub *gochannel.GoChannel
	Edge   *edge.Server

	ln        net.Listener
	srv       *http.Server
	serveErr  chan error
	retention *retention
	// checkpoints signs the log head hourly (audit_checkpoint.go).
	checkpoints *checkpoints

	// streams ends event streams at shutdown; see cutStreams.
	streams    context.Context
	endStreams context.CancelFunc
}

// NewMain returns an unstarted server.
func NewMain(cfg ServerConfig) *Main {
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 10 * time.Second
	}
	if cfg.RetentionEvery <= 0 {
		cfg.RetentionEvery = time.Hour
	}
	m := &Main{cfg: cfg, serveErr: make(chan error, 1)}
	m.streams, m.endStreams = context.WithCancel(context.Background())
	return m
}

// Run opens the log, creates the operator account on the first start of an
// empty log, and starts serving. It returns once the listener is up; serving
// goes on until Close. Failures are reported through Err.
func (m *Main) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	// GoChannel is the in-process bus; a bounded buffer per subscriber, and
	// the log, not the bus, is the truth (see DESIGN.md, Watermill).
	m.PubSub = gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024},
		watermill.NewSlogLogger(slog.New(minLevel{m.cfg.Logger.Handler(), slog.LevelWarn})))
	caughtUp := func(n uint64) {
		if n > 0 {
			m.cfg.Logger.Info("projections brought up to date", "events", n)
		}
	}
	if m.Log, err = openLog(m.cfg.DataDir, openOptions{caughtUp: caughtUp}, events.Options{Publisher: m.PubSub}); err != nil {
		return err
	}
	if m.checkpoints, err = startCheckpoints(m.Log, m.cfg.DataDir, m.cfg.Domain, m.cfg.Logger, checkpointEvery); err != nil {
		return err
	}
	if m.ln, err = net.Listen("tcp", m.cfg.Addr); err != nil {
		return fmt.Errorf("listening on %s: %w", m.cfg.Addr, err)
	}
	resolver, err := httpapi.NewDNSResolver(m.cfg.DNSResolver)
	if err != nil {
		return err
	}
	if m.Edge, err = routes(routeDeps{
		Resolver:   resolver,
		Scheme:     m.cfg.Scheme,
		TCPHost:    m.cfg.TCPHost,
		Log:        m.Log,
		BaseDomain: m.cfg.Domain,
		PublicPort: m.publicPort(),
		TCPPorts:   m.cfg.TCPPorts,
		Publisher:  m.PubSub,
		Subscriber: m.PubSub,
		Logger:     m.cfg.Logger,
	}); err != nil {
		return err
	}
	// The edge's settings: bounded header reads, no whole-request timeouts
	// (tunnelled bodies, SSE and upgrades stream as long as they progress).
	m.srv = edge.NewHTTPServer(cutStreams(m.streams, m.Edge.Handler()))
	m.srv.ErrorLog = slog.NewLogLogger(m.cfg.Logger.Handler(), slog.LevelWarn)
	// Event streams never finish on their own: end them when shutdown
	// starts, so the drain waits only for requests that do finish.
	m.srv.RegisterOnShutdown(m.endStreams)
	// Last before serving, so a key is never made that a later failure
	// would keep from being shown.
	secret, acc, err := m.bootstrap(ctx)
	if err != nil {
		return err
	}
	// The goroutine gets its own copies: Close clears m.srv and m.ln, and
	// may run before it is scheduled.
	srv, ln := m.srv, m.ln
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.serveErr <- err
		}
	}()
	m.announce(secret, acc)
	m.retention = startRetention(m, m.Log, m.cfg.RetentionEvery)
	return nil
}

// Addr is the address the server listens on (useful after ":0").
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
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

// Err delivers a serving failure (the listener died); it never delivers on Close.
func (m *Main) Err() <-chan error { return m.serveErr }

// Close shuts the server down gracefully: it stops accepting, waits (10 s at
// most) for requests in flight, closes the agent sessions (the edge records
// their tunnels as closed and appends the last captures), then closes the
// log — after its queued appends are committed — and finally the bus.
func (m *Main) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownGrace)
	defer cancel()
	if m.srv != nil {
		if err := m.srv.Shutdown(ctx); err != nil {
			// Requests still running after the grace period are cut.
			m.cfg.Logger.Warn("shutdown grace period over; closing connections", "grace", m.cfg.ShutdownGrace)
			errs = append(errs, m.srv.Close())
		}
		m.srv = nil
	} else if m.ln != nil {
		errs = append(errs, m.ln.Close())
	}
	m.ln = nil
	if m.Edge != nil {
		// Agent connections are hijacked, so Shutdown above did not end them.
		errs = append(errs, m.Edge.Shutdown(ctx))
		m.Edge = nil
	}
	m.retention.stop()
	m.retention = nil
	m.checkpoints.stop()
	m.checkpoints = nil
	if m.Log != nil {
		errs = append(errs, m.Log.Close())
		m.Log = nil
	}
	if m.PubSub != nil {
		errs = append(errs, m.PubSub.Close())
		m.PubSub = nil
	}
	m.endStreams()
	return errors.Join(errs...)
}

// cutStreams gives each event-stream request (Accept: text/event-stream —
// the API's SSE and a tunnelled app's alike) a context that also ends with
// streams, because http.Server.Shutdown waits for handlers but never
// cancels them. Other requests keep their context and drain normally.
func cutStreams(streams context.Context, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			stop := context.AfterFunc(streams, cancel)
			defer stop()
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(w, r)
	})
}

// bootstrap creates the operator account (plan pro) when the log is empty,
// returning its first key's secret, shown once. A log with any event is not
// a first start, so a restart never makes a second operator.
func (m *Main) bootstrap(ctx context.Context) (secret string, acc domain.Account, err error) {
	head, err := m.Log.Head()
	if err != nil || head.Count > 0 {
		return "", acc, err
	}
	email := m.cfg.OperatorEmail
	if email == "" {
		email = "operator@" + m.cfg.Domain
	}
	secret, acc, err = createAccount(ctx, m.Log, projections.NewAccount{
		Email: email, Name: "Operator", Plan: domain.PlanPro, Operator: true,
		KeyDescription: "first operator key",
	})
	if err != nil {
		return "", acc, fmt.Errorf("creating the operator account: %w", err)
	}
	return secret, acc, nil
}

// announce prints where the server is and, on a first start, the key.
func (m *Main) announce(secret string, acc domain.Account) {
	w := m.cfg.Stdout
	fmt.Fprintf(w, "listening on %s\n", m.Addr())
	fmt.Fprintf(w, "Warren is running at %s\n", m.URL())
	if secret == "" {
		return
	}
	fmt.Fprintf(w, "\nCreated the operator account %s (%s, plan %s).\n", acc.Email, acc.ID, acc.Plan)
	fmt.Fprintf(w, "Its API key is shown once; keep it:\n\n    %s\n\n", secret)
	fmt.Fprintf(w, "Try it:\n\n    curl -H \"Authorization: Bearer %s\" %s/api/v1/me/plan\n\n", secret, m.URL())
}

// createAccount makes a key secret, creates the account with its hash, and
// returns the secret (shown once) and the new account.
func createAccount(ctx context.Context, l *events.Log, in projections.NewAccount) (string, domain.Account, error) {
	secret, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		return "", domain.Account{}, err
	}
	in.KeyHash = domain.HashKeySecret(secret)
	in.KeyPrefix = domain.KeyShownPrefix(secret)
	evs, err := l.Execute(ctx, projections.CreateAccount(in))
	if err != nil {
		return "", domain.Account{}, err
	}
	var acc domain.Account
	err = l.DB().View(func(tx *bolt.Tx) error {
		acc, err = projections.Account(tx, projections.AccountIDFromEvents(evs))
		return err
	})
	return secret, acc, err
}

// runServe is `warren serve`.
func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "serve [--data DIR] [--addr ADDR] [--domain DOMAIN]")
	data := dataFlag(e, fs)
	addr := fs.String("addr", envDefault(e, "WARREN_ADDR", defaultAddr), "listen address (env WARREN_ADDR)")
	dom := domainFlag(e, fs)
	opEmail := fs.String("operator-email", envDefault(e, "WARREN_OPERATOR_EMAIL", ""), "email of the operator account made on first start (default operator@<domain>; env WARREN_OPERATOR_EMAIL)")
	publicPort := fs.String("public-port", envDefault(e, "WARREN_PUBLIC_PORT", ""), "port shown in public URLs, when a proxy listens on another (default: the listener's; env WARREN_PUBLIC_PORT)")
	tcpPorts := fs.String("tcp-ports", envDefault(e, "WARREN_TCP_PORTS", defaultTCPPorts), `port range for TCP tunnels, LOW-HIGH, or "off" (env WARREN_TCP_PORTS)`)
	scheme := fs.String("scheme", envDefault(e, "WARREN_SCHEME", "http"), `scheme of public URLs: "https" when TLS terminates in front (env WARREN_SCHEME)`)
	tcpHost := fs.String("tcp-host", envDefault(e, "WARREN_TCP_HOST", "127.0.0.1"), "address TCP tunnel listeners bind; 0.0.0.0 to serve them publicly (env WARREN_TCP_HOST)")
	dnsResolver := fs.String("dns-resolver", envDefault(e, "WARREN_DNS_RESOLVER", ""), "host:port of the DNS server custom-domain checks ask (default: the system's; env WARREN_DNS_RESOLVER)")
	retainEvents := fs.String("retain-events", envDefault(e, "WARREN_RETAIN_EVENTS", "0"), "days captured bodies are kept at most, whatever the plan (0: each plan's retention); events themselves are never deleted (env WARREN_RETAIN_EVENTS)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	retainDays, err := strconv.Atoi(*retainEvents)
	if err != nil || retainDays < 0 {
		return &exitError{code: 2, err: fmt.Errorf("--retain-events %q is not a number of days", *retainEvents)}
	}
	if _, err := httpapi.NewDNSResolver(*dnsResolver); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("--dns-resolver: %s", domain.ErrorMessage(err))}
	}
	if *scheme != "http" && *scheme != "https" {
		return &exitError{code: 2, err: fmt.Errorf("--scheme %q is neither http nor https", *scheme)}
	}
	pubPort := 0
	if *publicPort != "" {
		p, err := strconv.Atoi(*publicPort)
		if err != nil || p < 1 || p > 65535 {
			return &exitError{code: 2, err: fmt.Errorf("--public-port %q is not a port", *publicPort)}
		}
		pubPort = p
	}
	if _, err := strconv.Atoi(portOf(*addr)); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("--addr %q is not host:port", *addr)}
	}
	var tcp [2]int
	if *tcpPorts != "off" && *tcpPorts != "" {
		var err error
		if tcp, err = edge.ParsePortRange(*tcpPorts); err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--tcp-ports: %w", err)}
		}
	}
	m := NewMain(ServerConfig{
		DataDir: *data, Addr: *addr, Domain: *dom, OperatorEmail: *opEmail,
		PublicPort: pubPort, TCPPorts: tcp, DNSResolver: *dnsResolver,
		Scheme: *scheme, TCPHost: *tcpHost, RetainEventsDays: retainDays,
		Stdout: e.stdout, Logger: slog.New(slog.NewTextHandler(e.stderr, nil)),
	})
	if err := m.Run(ctx); err != nil {
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
		fmt.Fprintln(e.stdout, "shutting down")
	case serveErr = <-m.Err():
	}
	return errors.Join(serveErr, m.Close())
}

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return port
}

// minLevel drops records below a level: watermill logs every publish nobody
// subscribes to at INFO, which is normal here (the log is the truth).
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
