package server

import (
	"io"
	"log/slog"
	"net/netip"
	"time"
)

// Config is what `warren serve` runs with.
type Config struct {
	DataDir       string // holds warren.db and checkpoint.key; created 0700
	Addr          string // public listen address; ":0" picks a free port
	Domain        string // base domain: tunnels are <name>.<Domain>
	OperatorEmail string // first-start operator ("": operator@<Domain>)
	PublicPort    int    // port in public URLs (0: the listener's)
	TCPPorts      [2]int // range TCP tunnels draw from (zero: disabled)
	DNSResolver   string // host:port for custom-domain TXT checks ("": the system's)
	Scheme        string // "https" when TLS terminates in front ("": http)
	TCPHost       string // bind address of TCP tunnel listeners ("": 127.0.0.1)
	// ACME: certificates through ACME (acme_flags.go, acme_source.go).
	ACME ACMESettings
	// ShutdownGrace bounds the wait for requests in flight at Close (0: 10 s).
	ShutdownGrace time.Duration
	// RetentionEvery is how often captured bodies past their plan's
	// retention are pruned (0: hourly).
	RetentionEvery time.Duration
	// RetainEventsDays caps, for every account, how long captured bodies
	// are kept (0: each plan's retention). Events are never deleted.
	RetainEventsDays int
	// AgentWriteTimeout is how long an agent may leave its control stream
	// unread before it is cut off (0: the edge's 10 s).
	AgentWriteTimeout time.Duration
	// MaxConnsPerTunnel and MaxConnsPerClient cap public connections in
	// flight per tunnel and per client address (0: the edge's defaults;
	// negative: no cap).
	MaxConnsPerTunnel, MaxConnsPerClient int
	// RequestScan bounds the captured requests one filtered list page
	// reads (--request-scan; 0: projections.MaxRequestScan).
	RequestScan int
	// ServeUncaptured keeps serving public requests while the log cannot
	// record them (false: they get a 503 until it can).
	ServeUncaptured bool
	// SensitiveHeaders are header names sealed out of the log beside the
	// bodies, beyond Authorization, Proxy-Authorization, Cookie and
	// Set-Cookie, which always are.
	SensitiveHeaders []string
	// TLS is HTTPS: certificates, listeners, HSTS (tls_settings.go).
	// Zero: plain HTTP on Addr.
	TLS TLSSettings
	// Now is the one clock of the log, the edge, the API and retention
	// (nil: time.Now).
	Now func() time.Time
	// Stdout hears where the server listens and, on a first start, the
	// operator's key (nil: discarded).
	Stdout io.Writer
	// Logger hears operational messages (nil: discarded).
	Logger *slog.Logger

	// Metrics (metrics.go). MetricsAddr is the address of the listener
	// serving /metrics, /debug/pprof/ and /readyz ("": none).
	MetricsAddr string

	// Roles: --role and how this node reaches NATS (roles.go).
	Roles RoleSettings
	// Access rules (flags_access.go): the operator's proxies whose
	// X-Forwarded-For the edge believes when it judges a tunnel's
	// --allow-cidr/--deny-cidr.
	TrustedProxies      []netip.Prefix
	OIDCInsecureIssuers bool // tunnels' --oidc-issuer may be plain http
}

func (c *Config) defaults() {
	if c.Stdout == nil {
		c.Stdout = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RetentionEvery <= 0 {
		c.RetentionEvery = time.Hour
	}
}
