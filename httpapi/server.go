package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/julienschmidt/httprouter"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/httpapi/dashboard"
	"warren/projections"
)

// Config is everything the API is built from. Log, BaseDomain and
// Subscriber are required; the rest have defaults.
type Config struct {
	Log        *events.Log
	BaseDomain string
	// Subscriber is where the log's committed events are published: SSE
	// streams wake on events.TopicRequests and events.TopicEvents, and end
	// on a key.revoked from events.TopicControl.
	Subscriber message.Subscriber
	// Scheme forces the scheme of next_page_uri and resource URIs ("https"
	// behind a TLS proxy); "" derives it from the request.
	Scheme string
	// Resolver answers custom-domain TXT checks (nil: net.DefaultResolver).
	Resolver *net.Resolver
	// Rand is the source of key secrets and tokens (nil: crypto/rand.Reader).
	Rand io.Reader
	// Now is the clock (nil: time.Now).
	Now    func() time.Time
	Logger *slog.Logger // nil: slog.Default()
	// Heartbeat is the SSE comment interval (0: 15 s).
	Heartbeat time.Duration
	// StreamQueue bounds an SSE client's queue of wake-ups; on overflow the
	// connection is closed and the client resumes with Last-Event-ID (0: 256).
	StreamQueue int
	// Replayer sends replays through the agents' tunnels: the edge. The edge
	// is built with the API's handler, so cmd/warren passes a forwarder that
	// it points at the edge before serving. Nil: replay answers 503.
	Replayer Replayer
	// Auth checks API keys and limits failed attempts per client address.
	// The composition root passes the one it also gives the edge, so both
	// doors share one limit; nil builds one over Log for this API alone.
	Auth *projections.Authenticator
	// ReplaysPerAccount bounds the replays one account runs at once; past
	// it, 429 (0: 2).
	ReplaysPerAccount int
	// TCPPorts is the edge's TCP port range, from which accounts reserve
	// ports (reservations.go); zero refuses port reservations (503).
	TCPPorts [2]int
	// Signer signs GET /api/v1/checkpoint: the data directory's key, which
	// the composition root loads once at start (events.LoadOrCreateSigner).
	// Nil: New loads or creates it beside the log file, once.
	Signer *events.Signer

	// Webhooks keeps reservations' webhook verifiers (webhooks.go): the
	// edge, through a forwarder like Replayer's. Nil: those routes answer 503.
	Webhooks Webhooks
	// SecretsPath is the sealed store's file (<data>/secrets.sealed), which
	// GET /api/v1/admin/backup/secrets serves as it is. "": that route 404s.
	SecretsPath string

	// Sign-in (passwords.go, session.go). Zero values take the defaults.
	PasswordParams dashboard.Params // argon2id cost (zero: dashboard.RFC9106Second)
	SessionIdle    time.Duration    // a session unused this long ends (0: 12 h)
	SessionTTL     time.Duration    // a session ends this long after sign-in (0: 7 days)

	// RequestScan bounds the summaries one filtered request-list page reads
	// (requests_filter.go; 0: projections.MaxRequestScan).
	RequestScan int
	// Secrets is the sealed store (edge/sealed) where reservations' OIDC
	// client secrets go, so the log never holds them (reservation_access.go).
	// Nil: a reservation's OIDC login is refused (503).
	Secrets SecretStore
	// AccessRules checks and hashes reservations' access rules
	// (reservation_access.go); nil: setting them answers 503.
	AccessRules AccessRuleMaker
}

// Server is the API. Every request reads the projections and changes state
// only through the log; in memory it holds only what no restart needs to
// keep: the failed-authentication counts, the running replays per account,
// and the SSE subscriptions.
type Server struct {
	cfg     Config
	app     *dashboard.App // the embedded web app (dashboard.go)
	log     *events.Log
	db      *bolt.DB
	logger  *slog.Logger
	now     func() time.Time
	rnd     io.Reader
	auth    *projections.Authenticator
	replays *replaySlots
	table   []route
	router  *httprouter.Router

	hubsMu sync.Mutex
	hubs   map[string]*hub // SSE wake-ups, one subscription per topic

	streams atomic.Int64 // SSE streams open now (Stats)

	signin // session.go: password hashing slots, login limits, last-seen times

	devices *deviceStore // device_store.go: pending device logins (RFC 8628)
}

// New checks cfg and builds the router. It fails with CodeInvalid for a
// missing dependency, and CodeInternal when the checkpoint key (Signer
// nil) cannot be loaded or created.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Log == nil:
		return nil, domain.Errorf(domain.CodeInvalid, "httpapi: Config.Log is required")
	case cfg.BaseDomain == "":
		return nil, domain.Errorf(domain.CodeInvalid, "httpapi: Config.BaseDomain is required")
	case cfg.Subscriber == nil:
		return nil, domain.Errorf(domain.CodeInvalid, "httpapi: Config.Subscriber is required")
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.StreamQueue <= 0 {
		cfg.StreamQueue = 256
	}
	if cfg.ReplaysPerAccount <= 0 {
		cfg.ReplaysPerAccount = 2
	}
	if cfg.Signer == nil {
		// The key belongs to the data directory, so a server started on a
		// backup copy of the file keeps its own.
		signer, err := events.LoadOrCreateSigner(filepath.Dir(cfg.Log.DB().Path()))
		if err != nil {
			return nil, &domain.Error{Code: domain.CodeInternal, Message: "httpapi: loading the checkpoint key", Err: err}
		}
		cfg.Signer = signer
	}
	if cfg.Auth == nil {
		cfg.Auth = projections.NewAuthenticator(cfg.Log.DB(), projections.AuthConfig{Now: cfg.Now})
	}
	s := &Server{auth: cfg.Auth, replays: &replaySlots{max: cfg.ReplaysPerAccount, n: map[string]int{}}, cfg: cfg, log: cfg.Log, db: cfg.Log.DB(), logger: cfg.Logger, now: cfg.Now, rnd: cfg.Rand, hubs: map[string]*hub{}}
	s.initSignin()
	s.devices = newDeviceStore(s.now) // device_store.go
	s.app = dashboard.NewApp(s.now())
	s.table = s.routes()
	s.router = s.buildRouter(s.table)
	return s, nil
}

// Handler is the API's http.Handler.
func (s *Server) Handler() http.Handler { return s.withVersion(s.router) }

// Routes lists the registered method and path pairs (httprouter syntax).
func (s *Server) Routes() [][2]string {
	out := make([][2]string, 0, len(s.table))
	for _, rt := range s.table {
		if rt.UI {
			continue // the dashboard's pages: not the JSON API
		}
		out = append(out, [2]string{rt.Method, rt.Path})
	}
	return out
}

// view runs fn in a read transaction of the log's database.
func (s *Server) view(fn func(tx *bolt.Tx) error) error { return s.db.View(fn) }

// exec runs a command through the log: it decides inside the write
// transaction and returns the appended events or its *domain.Error.
func (s *Server) exec(ctx context.Context, cmd events.Command) ([]events.Event, error) {
	evs, err := s.log.Execute(ctx, cmd)
	if errors.Is(err, context.Canceled) {
		return nil, domain.Errorf(domain.CodeUnavailable, "request cancelled")
	}
	return evs, err
}
