package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/edge"
	"warren/edge/wire"
	"warren/events"
	"warren/httpapi"
	"warren/projections"
)

// handlers are what the public listener serves: the API, the edge, and the
// host router in front of both.
type handlers struct {
	edge   *edge.Server
	api    *httpapi.Server
	router http.Handler
}

// handlers builds the API and the edge and routes hosts between them. The
// API serves replay but the edge performs it; the edge needs the API to be
// built, so the API gets a forwarder pointed at the edge once it exists,
// before anything is served.
func (m *Main) handlers(resolver *net.Resolver) (handlers, error) {
	replayer := &edgeReplayer{}
	// One sealed store (secrets.go) for webhook signing secrets and
	// reservations' OIDC client secrets; nil interface when there is none.
	var secrets httpapi.SecretStore
	if m.secrets != nil {
		secrets = m.secrets
	}
	// One authenticator for the API and the agent endpoint, so failed
	// attempts on either count against one limit per client address.
	auth := projections.NewAuthenticator(m.Log.DB(), projections.AuthConfig{Now: m.cfg.Now})
	apiSrv, err := httpapi.New(httpapi.Config{
		Auth:        auth,
		Signer:      m.Signer,
		Log:         m.Log,
		BaseDomain:  m.cfg.Domain,
		Subscriber:  m.PubSub,
		Scheme:      schemeOverride(m.cfg.Scheme),
		Resolver:    resolver,
		Rand:        rand.Reader,
		Logger:      m.cfg.Logger,
		Replayer:    replayer,
		Now:         m.cfg.Now,
		Webhooks:    edgeWebhooks{replayer}, // secrets.go
		SecretsPath: filepath.Join(m.cfg.DataDir, SecretsFile),
		TCPPorts:    m.cfg.TCPPorts,    // port reservations draw from the edge's range
		Secrets:     secrets,           // secrets.go: reservations' OIDC client secrets
		AccessRules: accessRuleMaker{}, // access_rules.go
		RequestScan: m.cfg.RequestScan, // --request-scan
	})
	if err != nil {
		return handlers{}, err
	}
	e, err := edge.New(edge.Config{
		Auth:       auth,
		Log:        m.Log,
		BaseDomain: m.cfg.Domain,
		Scheme:     m.cfg.Scheme,
		PublicPort: m.publicPort(),
		Subscriber: m.PubSub,
		TCPPorts:   m.cfg.TCPPorts,
		TCPHost:    m.cfg.TCPHost,
		Logger:     m.cfg.Logger,
		Now:        m.cfg.Now,

		AgentWriteTimeout: m.cfg.AgentWriteTimeout,
		MaxConnsPerTunnel: m.cfg.MaxConnsPerTunnel,
		MaxConnsPerClient: m.cfg.MaxConnsPerClient,
		Writable:          m.Log.Writable, // bound now: Close clears m.Log
		ServeUncaptured:   m.cfg.ServeUncaptured,
		SensitiveHeaders:  m.cfg.SensitiveHeaders,
		Captures:          m.captureSink(),                                                      // roles_edge.go: nil, the log, unless over NATS
		Secrets:           m.secrets,                                                            // secrets.go
		TrustedProxies:    m.cfg.TrustedProxies, OIDCInsecureIssuers: m.cfg.OIDCInsecureIssuers, // access rules
	})
	if err != nil {
		return handlers{}, err
	}
	replayer.edge = e
	return handlers{edge: e, api: apiSrv, router: &hostRouter{
		base:    strings.ToLower(strings.TrimSuffix(m.cfg.Domain, ".")),
		api:     apiHost(healthz(m.Log), httpapi.Readiness(m.ready(m.Log)), apiSrv.Handler(), http.HandlerFunc(e.ServeAgent)),
		tunnels: http.HandlerFunc(e.ServeTunnel),
	}}, nil
}

// hostRouter decides, by the Host header alone, who answers: the base
// domain, api.<base>, an IP literal (or no host) → the API host; any other
// host → the edge, which serves <sub>.<base> and verified custom domains
// from its tunnels and a 404 page for the rest.
type hostRouter struct {
	base         string
	api, tunnels http.Handler
}

func (h *hostRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if host := edge.HostOnly(r.Host); host == "" || host == h.base || host == "api."+h.base || net.ParseIP(host) != nil {
		h.api.ServeHTTP(w, r)
		return
	}
	h.tunnels.ServeHTTP(w, r)
}

// apiHost serves the API host: the agent's connect upgrade goes to the edge
// (it hijacks the connection into a session only the edge holds),
// /healthz to health, everything else to the API. Not an http.ServeMux: it
// answers a path that is not clean ("//", "..") with an HTML redirect, and
// the API host answers JSON only (httprouter, behind, gives those a JSON
// 404). /healthz is only on the API host, so it never shadows a path of a
// tunnelled app.
func apiHost(health, ready, api, agents http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == wire.ConnectPath:
			agents.ServeHTTP(w, r)
		case r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			health.ServeHTTP(w, r)
		case r.URL.Path == "/readyz":
			ready.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

// edgeReplayer is the API's httpapi.Replayer: it forwards to the edge. The
// field is set once, in handlers, before the listener serves a request, so
// reads need no lock (starting the serving goroutine orders them).
type edgeReplayer struct{ edge *edge.Server }

func (r *edgeReplayer) Replay(ctx context.Context, accountID, sub string, id ulid.ULID, o domain.ReplayOverrides) (domain.CapturedRequest, error) {
	return r.edge.Replay(ctx, accountID, sub, id, o)
}

// schemeOverride tells the API to force https in the URIs it builds when TLS
// terminates in front; for http it derives the scheme from each request.
func schemeOverride(scheme string) string {
	if scheme == "https" {
		return scheme
	}
	return ""
}

// healthz answers 200 {"status":"ok"} while the log can be read, else 503.
func healthz(l *events.Log) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if _, err := l.Head(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]string{"status": "unavailable"})
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
	})
}
