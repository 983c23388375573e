package edge

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"warren/edge/sealed"
	"warren/events"
	"warren/projections"
)

// Config is everything the edge depends on. Log and BaseDomain are required.
type Config struct {
	Log        *events.Log
	BaseDomain string // e.g. "warren.example.com" or "localhost"
	// Scheme and PublicPort shape public URLs: scheme://sub.base[:port].
	Scheme     string // "http" (default) or "https"
	PublicPort int    // 0: the scheme's default port, left out of URLs
	// API serves the base domain and api.<base> through Handler; nil when
	// the caller routes hosts itself (ServeAgent, ServeTunnel).
	API http.Handler
	// Subscriber feeds committed events (tunnel.closed from the API,
	// key.revoked, plan changes). Nil: the edge does not react to them.
	Subscriber message.Subscriber
	// TCPPorts is the inclusive range TCP tunnels draw from; zero disables TCP tunnels.
	TCPPorts [2]int
	// TCPHost is the address TCP tunnel listeners bind (default 127.0.0.1) and
	// TCPPublicHost the host shown in their URLs (default BaseDomain).
	TCPHost       string
	TCPPublicHost string
	// ResponseHeaderTimeout bounds the wait for the local service's response
	// headers (504 after it; default 60 s). Bodies have no time limit.
	ResponseHeaderTimeout time.Duration
	// CaptureQueue bounds captured exchanges waiting to be appended (default
	// 4096); when full, the proxy waits. Appenders is how many goroutines
	// append them (default 1: with the batch linger, one keeps up).
	CaptureQueue int
	Appenders    int
	// DisableCapture turns off capture bodies and events (benchmarks only).
	DisableCapture bool
	// SensitiveHeaders names headers sealed out of the log beside the bodies
	// (where retention prunes them), in addition to Authorization,
	// Proxy-Authorization, Cookie and Set-Cookie, which always are.
	SensitiveHeaders []string
	// UsageTTL is how long an account's plan and monthly usage are cached on
	// the hot path (default 2 s).
	UsageTTL time.Duration
	// Auth checks agents' API keys and limits failed attempts per client
	// address. The composition root passes the one the API uses, so both
	// share one limit; nil builds one over Log for the edge alone.
	Auth   *projections.Authenticator
	Now    func() time.Time
	Logger *slog.Logger
	// AgentWriteTimeout is how long an agent may leave its control stream
	// undrained: a control message not written within it ends the session
	// (its tunnels close as agent_gone). Default 10 s.
	AgentWriteTimeout time.Duration

	// MaxConnsPerTunnel caps the public exchanges (HTTP requests, upgraded
	// and TCP connections) in flight at once through one tunnel: beyond it,
	// a 503 tunnel_busy (TCP: the connection is closed). MaxConnsPerClient
	// caps those from one client address, across all tunnels: beyond it, a
	// 429 too_many_connections. Both are captured and logged. Defaults 512
	// and 256 (a load test at 200 connections passes); a negative value
	// means no cap.
	MaxConnsPerTunnel int
	MaxConnsPerClient int
	// CaptureMemory bounds the body bytes held by the captures of exchanges
	// in flight (default 128 MiB). A capture that finds no room stores no
	// more of its body, which is recorded truncated; the exchange goes on.
	CaptureMemory int64
	// Writable reports whether the event log can record captures now (nil:
	// always). It is asked at most every 250 ms, by one public request while
	// the others go on with the last answer. While it reports an error, new
	// public requests are refused with a 503 capture_unavailable page (TCP
	// connections are closed) rather than served without being captured,
	// unless ServeUncaptured is set.
	Writable        func() error
	ServeUncaptured bool

	// Captures is where captured exchanges go (capture_sink.go); nil: Log.
	Captures CaptureSink
	// Secrets is the sealed store webhook verifiers' signing secrets live in
	// (issue 17; edge/sealed, opened and closed by the composition root).
	// Nil: tunnels cannot verify webhooks (an open with --verify-webhook is
	// refused as unavailable).
	Secrets *sealed.Store
	// Access rules (access_gate.go). TrustedProxies are the operator's
	// proxies in front of the edge: only for a request from one of them is
	// the client address read from ClientIPHeader (default
	// X-Forwarded-For); otherwise that header is never believed.
	TrustedProxies []netip.Prefix
	ClientIPHeader string
	// OIDC logins (access_oidc.go). OIDCKey signs their cookies (default:
	// 32 random bytes drawn at start, so sessions end with the process;
	// never in the log). OIDCClient reaches issuers (default: 10 s
	// timeout). An issuer must be https unless OIDCInsecureIssuers (tests,
	// a development provider on loopback).
	OIDCKey             []byte
	OIDCClient          *http.Client
	OIDCInsecureIssuers bool
}

func (c *Config) defaults() error {
	if c.Log == nil || c.BaseDomain == "" {
		return errors.New("edge: Config needs Log and BaseDomain")
	}
	c.BaseDomain = strings.ToLower(strings.TrimSuffix(c.BaseDomain, "."))
	if c.Scheme == "" {
		c.Scheme = "http"
	}
	if c.Scheme != "http" && c.Scheme != "https" {
		return fmt.Errorf("edge: scheme %q is neither http nor https", c.Scheme)
	}
	if c.TCPPorts != [2]int{} && (c.TCPPorts[0] <= 0 || c.TCPPorts[1] < c.TCPPorts[0] || c.TCPPorts[1] > 65535) {
		return fmt.Errorf("edge: bad TCP port range %d-%d", c.TCPPorts[0], c.TCPPorts[1])
	}
	if c.TCPHost == "" {
		c.TCPHost = "127.0.0.1"
	}
	if c.TCPPublicHost == "" {
		c.TCPPublicHost = c.BaseDomain
	}
	if c.ResponseHeaderTimeout == 0 {
		c.ResponseHeaderTimeout = 60 * time.Second
	}
	if c.CaptureQueue <= 0 {
		c.CaptureQueue = 4096
	}
	if c.Appenders <= 0 {
		c.Appenders = 1
	}
	if c.UsageTTL == 0 {
		c.UsageTTL = 2 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Auth == nil {
		c.Auth = projections.NewAuthenticator(c.Log.DB(), projections.AuthConfig{Now: c.Now})
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.AgentWriteTimeout <= 0 {
		c.AgentWriteTimeout = 10 * time.Second
	}
	if c.MaxConnsPerTunnel == 0 {
		c.MaxConnsPerTunnel = 512
	}
	if c.MaxConnsPerClient == 0 {
		c.MaxConnsPerClient = 256
	}
	if c.CaptureMemory <= 0 {
		c.CaptureMemory = 128 << 20
	}
	if len(c.OIDCKey) == 0 { // access_oidc.go
		c.OIDCKey = make([]byte, 32)
		_, _ = rand.Read(c.OIDCKey) // crypto/rand.Read never fails (Go 1.24+)
	}
	return nil
}

// publicURL is the URL of a subdomain tunnel.
func (c *Config) publicURL(sub string) string {
	u := c.Scheme + "://" + sub + "." + c.BaseDomain
	if c.PublicPort != 0 && !(c.Scheme == "http" && c.PublicPort == 80) && !(c.Scheme == "https" && c.PublicPort == 443) {
		u += ":" + strconv.Itoa(c.PublicPort)
	}
	return u
}

// ParsePortRange parses "20000-20999" (the --tcp-ports flag).
func ParsePortRange(s string) ([2]int, error) {
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(strings.TrimSpace(lo))
	b, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if !ok || err1 != nil || err2 != nil || a <= 0 || b < a || b > 65535 {
		return [2]int{}, fmt.Errorf("bad port range %q (want LOW-HIGH, e.g. 20000-20999)", s)
	}
	return [2]int{a, b}, nil
}

// NewHTTPServer returns the public http.Server settings the edge expects:
// header reads bounded in time and size (slowloris, huge headers), no
// whole-request timeouts (bodies may stream for hours), idle keep-alives reaped.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		IdleTimeout:       120 * time.Second,
	}
}
