package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/domain"
	"warren/edge/agent"
	"warren/edge/wire"
)

// RunHTTP is `warren http PORT|HOST:PORT|URL [--subdomain S] [--hostname H]
// [--upstream-insecure] [--host-header rewrite|VALUE] [--ca FILE] [--insecure]`:
// one HTTP tunnel until Ctrl-C.
func RunHTTP(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "http", "http PORT|HOST:PORT|https://HOST:PORT [--subdomain S] [--hostname H] [--upstream-insecure] [--host-header rewrite|VALUE] [--verify-webhook PROVIDER:SECRET]... [--verify-webhook-enforce] [--basic-auth USER:PASSWORD] [--allow-cidr CIDR] [--deny-cidr CIDR] [--oidc-issuer URL --oidc-client-id ID --oidc-client-secret S --allow-email user@x,@domain] [--ca FILE] [--insecure]")
	cf := addConnFlags(fs)
	sub := fs.String("subdomain", "", "ask for this subdomain (default: a random name)")
	host := fs.String("hostname", "", "also route this verified custom domain here")
	upInsecure := fs.Bool("upstream-insecure", false, "with an https:// local service: accept its certificate unverified (a self-signed one)")
	hostHeader := fs.String("host-header", "", `Host header sent to the local service: "rewrite" for its own host:port, or a VALUE (default: the public host)`)
	hooks := addWebhookFlags(fs)         // flags_webhook.go
	accessRules := addAccessFlags(e, fs) // flags_access.go
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "PORT or HOST:PORT"); err != nil {
		return err
	}
	rules, err := accessRules()
	if err != nil {
		return err
	}
	up, err := newUpstream(pos[0], *upInsecure, *hostHeader)
	if err != nil {
		return &command.ExitError{Code: 2, Err: err}
	}
	ts := tunnelSpec{Spec: agent.Spec{Proto: domain.ProtoHTTP, Local: pos[0], Subdomain: *sub, Hostname: *host,
		Access: rules}}
	if err := hooks.apply(&ts.Spec); err != nil {
		return err
	}
	if up != nil {
		defer up.close()
		ts.up, ts.Local, ts.DialLocal = up, up.target.Host, up.dial
	}
	return serveTunnels(ctx, e, cf, []tunnelSpec{ts})
}

// tunnelSpec is a tunnel to open, with its proxy when it has one.
type tunnelSpec struct {
	agent.Spec
	up *upstream // nil: the agent pipes bytes to Local
}

// specs wraps plain specs (no proxy).
func specs(ss ...agent.Spec) []tunnelSpec {
	out := make([]tunnelSpec, len(ss))
	for i, s := range ss {
		out[i].Spec = s
	}
	return out
}

// RunTCP is `warren tcp PORT|HOST:PORT [--port N]`: one TCP tunnel until Ctrl-C.
func RunTCP(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "tcp", "tcp PORT|HOST:PORT [--port N|--remote-addr [HOST:]N] [--ca FILE] [--insecure]")
	cf := addConnFlags(fs)
	// The public port (tcp_port.go).
	pf := addPortFlags(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "PORT or HOST:PORT"); err != nil {
		return err
	}
	want, err := pf.want()
	if err != nil {
		fs.Usage()
		return &command.ExitError{Code: 2, Err: err}
	}
	return serveTunnels(ctx, e, cf, specs(agent.Spec{Proto: domain.ProtoTCP, Local: pos[0], WantPort: want}))
}

// RunStart is `warren start --config FILE`: the file's tunnels on one agent until Ctrl-C.
func RunStart(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "start", "start --config FILE [--ca FILE] [--insecure]")
	cf := addConnFlags(fs)
	file := fs.String("config", "", "tunnels file (JSON or the simple YAML form; see docs/edge.md)")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	if *file == "" {
		fs.Usage()
		return &command.ExitError{Code: 2, Err: errors.New("missing --config FILE")}
	}
	af, err := loadAgentFile(*file)
	if err != nil {
		return err
	}
	if af.CA != "" && *cf.ca == "" && command.EnvDefault(e, "WARREN_CA", "") == "" {
		*cf.ca = af.CA // the file's ca, under --ca and WARREN_CA
	}
	ts := specs(af.Specs...)
	for i := range ts {
		if ts[i].Proto != domain.ProtoHTTP {
			continue
		}
		up, err := newUpstream(ts[i].Local, af.Upstreams[i].insecure, af.Upstreams[i].hostHeader)
		if err != nil {
			return fmt.Errorf("%s: tunnel %d: %w", *file, i+1, err)
		}
		if up != nil {
			defer up.close()
			ts[i].up, ts[i].Local, ts[i].DialLocal = up, up.target.Host, up.dial
		}
	}
	return serveTunnels(ctx, e, cf, ts)
}

// serveTunnels connects one agent, opens specs, prints their URLs and then a
// line per request until ctx ends (Ctrl-C), then closes the tunnels cleanly.
func serveTunnels(ctx context.Context, e *command.Env, cf *connFlags, specs []tunnelSpec) error {
	cfg, err := cf.resolve(e)
	if err != nil {
		return err
	}
	// Never print to stdout directly: see printer.
	out := newPrinter(e.Stdout, e.Stderr)
	defer out.close(printerGrace)
	defer func() { // before out closes
		for _, s := range specs {
			if s.up != nil {
				s.up.setReport(nil)
			}
		}
	}()
	allClosed := make(chan string, 1)
	var c *agent.Client
	opts := cfg.agentOptions()
	opts.OnRequests = func(ls []wire.RequestLine) {
		var b strings.Builder
		for _, l := range ls {
			b.WriteString(requestLineText(l))
			b.WriteByte('\n')
		}
		out.printf("%s", b.String())
	}
	opts.OnEvent = func(ev agent.Event) {
		out.printf("%s\n", eventText(ev))
		// The server closed the last tunnel (DELETE, revocation): nothing left to serve.
		if ev.Kind == "closed" && len(c.Tunnels()) == 0 {
			select {
			case allClosed <- ev.Message:
			default:
			}
		}
	}
	c, err = agent.Dial(ctx, opts)
	if err != nil {
		return err
	}
	for _, s := range specs {
		t, err := c.Open(ctx, s.Spec)
		if err != nil {
			closeAgent(c)
			return fmt.Errorf("opening %s tunnel to %s: %w", s.Proto, s.Local, err)
		}
		if err := gotWantedPort(s.Spec, t); err != nil {
			closeAgent(c)
			return err
		}
		local := t.Local
		if s.up != nil {
			local = s.up.target.String()
			s.up.setReport(func(msg string) { out.printf("%s\n", msg) })
		}
		// One line per public address the tunnel answers on.
		for _, u := range publicURLs(t) {
			out.printf("Forwarding %s -> %s\n", u, local)
		}
	}
	out.printf("Press Ctrl-C to close the tunnel%s.\n", plural(len(specs)))
	select {
	case <-ctx.Done():
	case reason := <-allClosed:
		closeAgent(c)
		return fmt.Errorf("the server closed the tunnel%s (%s)", plural(len(specs)), reason)
	case <-c.Done():
		return errors.New("the agent stopped (key refused or revoked)")
	}
	closeAgent(c)
	out.printf("Tunnel%s closed.\n", plural(len(specs)))
	return nil
}

// printerGrace is how long an ending agent lets its last lines reach stdout.
const printerGrace = time.Second

func closeAgent(c *agent.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

// publicURLs are the tunnel's URL and, for a --hostname, the same URL on
// that custom domain (same scheme and port: the server serves both).
func publicURLs(t agent.Tunnel) []string {
	urls := []string{t.URL}
	if t.Hostname == "" {
		return urls
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return urls
	}
	u.Host = t.Hostname
	if p := portOf(t.URL); p != "" {
		u.Host = net.JoinHostPort(t.Hostname, p)
	}
	return append(urls, u.String())
}

// portOf is the explicit port of a URL, "" for none.
func portOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Port()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// requestLineText renders one request: time, method, path, status, duration.
func requestLineText(l wire.RequestLine) string {
	at := l.At.Local().Format("15:04:05")
	switch l.Kind {
	case domain.KindTCP:
		return fmt.Sprintf("%s TCP  %s  in %d B, out %d B, %.0fms %s", at, l.Tunnel, l.BytesIn, l.BytesOut, l.DurationMs, l.Error)
	case domain.KindWebSocket:
		return fmt.Sprintf("%s WS   %s %d  %.0fms  in %d B, out %d B", at, l.Path, l.Status, l.DurationMs, l.BytesIn, l.BytesOut)
	}
	s := fmt.Sprintf("%s %-6s %s %d %s", at, l.Method, l.Path, l.Status, fmtDuration(l.DurationMs))
	if l.Error != "" {
		s += "  (" + l.Error + ")"
	}
	if n := lineWebhookNote(l.Webhook); n != "" { // webhook_note.go
		s += "  [" + n + "]"
	}
	if l.ID != "" {
		s += "  " + l.ID
	}
	if n := replayNote(l.ReplayOf, len(l.Overrides) > 0, l.Overrides); n != "" {
		s += "  " + n
	}
	return s
}

func fmtDuration(ms float64) string {
	if ms < 10 {
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.0fms", ms)
}

func eventText(ev agent.Event) string {
	switch ev.Kind {
	case "closed":
		return fmt.Sprintf("Tunnel %s closed by the server (%s).", ev.Tunnel.URL, ev.Message)
	case "reopened":
		return fmt.Sprintf("Forwarding %s -> %s (reopened)", ev.Tunnel.URL, ev.Tunnel.Local)
	}
	return ev.Message
}
