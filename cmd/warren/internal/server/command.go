package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/domain"
	"warren/edge"
	"warren/httpapi"
)

// RunServe is `warren serve`.
func RunServe(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "serve", "serve [--data DIR] [--addr ADDR] [--domain DOMAIN]")
	data := command.DataFlag(e, fs)
	addr := fs.String("addr", command.EnvDefault(e, "WARREN_ADDR", command.DefaultAddr), "listen address (env WARREN_ADDR)")
	dom := command.DomainFlag(e, fs)
	acmef := addACMEFlags(e, fs)
	opEmail := fs.String("operator-email", command.EnvDefault(e, "WARREN_OPERATOR_EMAIL", ""), "email of the operator account made on first start (default operator@<domain>; env WARREN_OPERATOR_EMAIL)")
	publicPort := fs.String("public-port", command.EnvDefault(e, "WARREN_PUBLIC_PORT", ""), "port shown in public URLs, when a proxy listens on another (default: the listener's; env WARREN_PUBLIC_PORT)")
	tcpPorts := fs.String("tcp-ports", command.EnvDefault(e, "WARREN_TCP_PORTS", command.DefaultTCPPorts), `port range for TCP tunnels, LOW-HIGH, or "off" (env WARREN_TCP_PORTS)`)
	scheme := fs.String("scheme", command.EnvDefault(e, "WARREN_SCHEME", "http"), `scheme of public URLs: "https" when TLS terminates in front (env WARREN_SCHEME)`)
	tcpHost := fs.String("tcp-host", command.EnvDefault(e, "WARREN_TCP_HOST", "127.0.0.1"), "address TCP tunnel listeners bind; 0.0.0.0 to serve them publicly (env WARREN_TCP_HOST)")
	dnsResolver := fs.String("dns-resolver", command.EnvDefault(e, "WARREN_DNS_RESOLVER", ""), "host:port of the DNS server custom-domain checks ask (default: the system's; env WARREN_DNS_RESOLVER)")
	retainEvents := fs.String("retain-events", command.EnvDefault(e, "WARREN_RETAIN_EVENTS", "0"), "days captured bodies are kept at most, whatever the plan (0: each plan's retention); events themselves are never deleted (env WARREN_RETAIN_EVENTS)")
	grace := fs.String("shutdown-grace", command.EnvDefault(e, "WARREN_SHUTDOWN_GRACE", "10s"), "how long shutdown waits for requests in flight and agents before cutting them off (env WARREN_SHUTDOWN_GRACE)")
	agentWrite := fs.String("agent-write-timeout", command.EnvDefault(e, "WARREN_AGENT_WRITE_TIMEOUT", "10s"), "how long an agent may leave its control stream unread before it is cut off (env WARREN_AGENT_WRITE_TIMEOUT)")
	perTunnel := fs.String("max-conns-per-tunnel", command.EnvDefault(e, "WARREN_MAX_CONNS_PER_TUNNEL", "512"), "public connections in flight per tunnel; beyond, 503 (negative: no cap; env WARREN_MAX_CONNS_PER_TUNNEL)")
	perClient := fs.String("max-conns-per-client", command.EnvDefault(e, "WARREN_MAX_CONNS_PER_CLIENT", "256"), "public connections in flight per client address; beyond, 429 (negative: no cap; env WARREN_MAX_CONNS_PER_CLIENT)")
	requestScan := fs.String("request-scan", command.EnvDefault(e, "WARREN_REQUEST_SCAN", "100000"), "captured requests one filtered list page reads at most before answering with what it found and a cursor to search further (env WARREN_REQUEST_SCAN)")
	uncaptured := fs.Bool("serve-uncaptured", command.EnvDefault(e, "WARREN_SERVE_UNCAPTURED", "") == "true", "keep serving public requests while the log cannot record them (default: 503 until it can; env WARREN_SERVE_UNCAPTURED)")
	tlsf := addTLSFlags(e, fs)
	sensitive := fs.String("sensitive-headers", command.EnvDefault(e, "WARREN_SENSITIVE_HEADERS", ""), "comma-separated header names whose values are kept out of the event log, beside the bodies where retention prunes them, as Authorization, Proxy-Authorization, Cookie and Set-Cookie always are (env WARREN_SENSITIVE_HEADERS)")
	metricsAddr := metricsFlag(e, fs)
	rolef := addRoleFlags(e, fs)              // flags_roles.go
	trustedProxies := trustedProxyFlag(e, fs) // flags_access.go
	oidcInsecure := oidcInsecureFlag(e, fs)
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	metricsListen, err := metricsAddr()
	if err != nil {
		return err
	}
	roles, err := rolef.settings() // flags_roles.go
	if err != nil {
		return err
	}
	proxies, err := trustedProxies()
	if err != nil {
		return err
	}
	shutdownGrace, err := time.ParseDuration(*grace)
	if err != nil || shutdownGrace <= 0 {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--shutdown-grace %q is not a positive duration (e.g. 10s)", *grace)}
	}
	agentWriteTimeout, err := time.ParseDuration(*agentWrite)
	if err != nil || agentWriteTimeout <= 0 {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--agent-write-timeout %q is not a positive duration (e.g. 10s)", *agentWrite)}
	}
	maxPerTunnel, err1 := strconv.Atoi(*perTunnel)
	maxPerClient, err2 := strconv.Atoi(*perClient)
	if err1 != nil || err2 != nil || maxPerTunnel == 0 || maxPerClient == 0 {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--max-conns-per-tunnel %q and --max-conns-per-client %q must be whole numbers, not 0 (negative: no cap)", *perTunnel, *perClient)}
	}
	scanBound, err := strconv.Atoi(*requestScan)
	if err != nil || scanBound < 1 {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--request-scan %q is not a positive number of requests", *requestScan)}
	}
	sensitiveHeaders, err := headerList(*sensitive)
	if err != nil {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--sensitive-headers: %w", err)}
	}
	acmeSettings, err := acmef.settings()
	if err != nil {
		return err
	}
	retainDays, err := strconv.Atoi(*retainEvents)
	if err != nil || retainDays < 0 {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--retain-events %q is not a number of days", *retainEvents)}
	}
	if _, err := httpapi.NewDNSResolver(*dnsResolver); err != nil {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--dns-resolver: %s", domain.ErrorMessage(err))}
	}
	if *scheme != "http" && *scheme != "https" {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--scheme %q is neither http nor https", *scheme)}
	}
	pubPort := 0
	if *publicPort != "" {
		p, err := strconv.Atoi(*publicPort)
		if err != nil || p < 1 || p > 65535 {
			return &command.ExitError{Code: 2, Err: fmt.Errorf("--public-port %q is not a port", *publicPort)}
		}
		pubPort = p
	}
	tlsSettings, err := tlsf.settings(e, fs, addr, acmeSettings.on())
	if err != nil {
		return err
	}
	if _, err := strconv.Atoi(portOf(*addr)); err != nil {
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--addr %q is not host:port", *addr)}
	}
	var tcp [2]int
	if *tcpPorts != "off" && *tcpPorts != "" {
		var err error
		if tcp, err = edge.ParsePortRange(*tcpPorts); err != nil {
			return &command.ExitError{Code: 2, Err: fmt.Errorf("--tcp-ports: %w", err)}
		}
	}
	m := NewMain(Config{
		ACME:    acmeSettings,
		DataDir: *data, Addr: *addr, Domain: *dom, OperatorEmail: *opEmail,
		PublicPort: pubPort, TCPPorts: tcp, DNSResolver: *dnsResolver,
		Scheme: *scheme, TCPHost: *tcpHost, RetainEventsDays: retainDays, ShutdownGrace: shutdownGrace,
		AgentWriteTimeout: agentWriteTimeout, MaxConnsPerTunnel: maxPerTunnel, MaxConnsPerClient: maxPerClient,
		ServeUncaptured: *uncaptured, SensitiveHeaders: sensitiveHeaders, RequestScan: scanBound,
		TLS:    tlsSettings,
		Stdout: e.Stdout, Logger: slog.New(slog.NewTextHandler(e.Stderr, nil)),
		MetricsAddr: metricsListen,
		Roles:       roles,

		TrustedProxies: proxies, OIDCInsecureIssuers: *oidcInsecure,
	})
	if err := m.Run(ctx); err != nil {
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
		fmt.Fprintln(e.Stdout, "shutting down")
	case serveErr = <-m.Err():
	}
	return errors.Join(serveErr, m.Close())
}

// headerList splits a comma-separated list of header names, dropping
// empties; a name that is not an RFC 9110 token is an error.
func headerList(s string) ([]string, error) {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		if strings.ContainsFunc(h, func(r rune) bool {
			return r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
		}) {
			return nil, fmt.Errorf("%q is not a header name", h)
		}
		out = append(out, http.CanonicalHeaderKey(h))
	}
	return out, nil
}
