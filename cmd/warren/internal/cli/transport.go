package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/domain"
	"warren/edge/agent"
)

// connFlags are --ca and --insecure, on every command that sends a key.
// Unset, the environment (WARREN_CA, WARREN_INSECURE) and then the saved
// config decide.
type connFlags struct {
	ca       *string
	insecure *bool
}

// addConnFlags registers --ca and --insecure on fs.
func addConnFlags(fs *flag.FlagSet) *connFlags {
	return &connFlags{
		ca: fs.String("ca", "", "trust the CA certificate(s) in this PEM file for an https server, besides the system roots (env WARREN_CA)"),
		insecure: fs.Bool("insecure", false, "allow sending the API key over plain http to a host that is not loopback, "+
			"where it crosses the network in clear; certificates are still checked (env WARREN_INSECURE=true)"),
	}
}

// conn is where and how a command sends its key: the resolved config and
// the roots its https connections verify against (nil: the system's).
type conn struct {
	cliConfig
	roots *x509.CertPool
}

// resolve is the config the command uses (flags over environment over the
// saved config), checked: logged in, a key never sent in clear to a host
// that is not loopback (exit 2, before any connection), a CA file that
// loads (exit 2). f may be nil (a command without the flags).
func (f *connFlags) resolve(e *command.Env) (conn, error) {
	cfg, err := ResolveConfig(e)
	if err != nil {
		return conn{}, err
	}
	if f != nil && *f.ca != "" {
		cfg.CA = *f.ca
	}
	if f != nil && *f.insecure {
		cfg.Insecure = true
	}
	if cfg.Server == "" || cfg.Key == "" {
		return conn{}, errors.New("not logged in: run `warren login --server URL --key KEY` (or set WARREN_SERVER and WARREN_API_KEY)")
	}
	return checkConn(cfg)
}

// checkConn applies the transport rules to cfg and loads its CA.
func checkConn(cfg cliConfig) (conn, error) {
	if err := agent.CheckServer(cfg.Server, cfg.Insecure); err != nil {
		return conn{}, &command.ExitError{Code: 2, Err: errors.New(domain.ErrorMessage(err))}
	}
	c := conn{cliConfig: cfg}
	if cfg.CA != "" {
		pool, err := agent.LoadCA(cfg.CA)
		if err != nil {
			// The message names the file, whichever of --ca, WARREN_CA or a config gave it.
			return conn{}, &command.ExitError{Code: 2, Err: errors.New(domain.ErrorMessage(err))}
		}
		c.roots = pool
	}
	return c, nil
}

// envConfig adds WARREN_CA and WARREN_INSECURE to c (ResolveConfig's part).
func envConfig(e *command.Env, c *cliConfig) error {
	if v := command.EnvDefault(e, "WARREN_CA", ""); v != "" {
		c.CA = v
	}
	if v := command.EnvDefault(e, "WARREN_INSECURE", ""); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return &command.ExitError{Code: 2, Err: fmt.Errorf("WARREN_INSECURE=%q is not true or false", v)}
		}
		c.Insecure = b
	}
	return nil
}

// absCA makes a --ca path absolute before login saves it, so the saved
// config works from any directory.
func absCA(path string) string {
	if path == "" {
		return ""
	}
	if p, err := filepath.Abs(path); err == nil {
		return p
	}
	return path
}

// transport is an http.Transport for the API that verifies the server
// against c's roots, and explains a certificate it cannot verify.
func (c conn) transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: c.roots, MinVersion: tls.VersionTLS12}
	return tr
}

// httpClient is an API client's http.Client; timeout 0 is none (streams).
func (c conn) httpClient(timeout time.Duration) *http.Client {
	return c.httpClientWith(c.transport(), timeout)
}

func (c conn) httpClientWith(tr *http.Transport, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: explainTLS{tr, c.Server}, CheckRedirect: c.checkRedirect}
}

// checkRedirect refuses a redirect that would carry the key in clear:
// net/http keeps Authorization on a redirect to the same host, https to
// http included.
func (c conn) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if err := agent.CheckServer(req.URL.Scheme+"://"+req.URL.Host, c.Insecure); err != nil {
		return errors.New(domain.ErrorMessage(err) + " (the server redirected there)")
	}
	return nil
}

// explainTLS turns a certificate failure into agent.ExplainTLS's message,
// which names --ca, and a failed dial into one naming the server.
type explainTLS struct {
	rt     http.RoundTripper
	server string
}

func (t explainTLS) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.rt.RoundTrip(r)
	if err != nil {
		// A server that is not there: say which, and what to check.
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, fmt.Errorf("cannot reach the Warren server at %s (%w): is it running there? "+
				"(the server is --server at `warren login`, or WARREN_SERVER)", t.server, op.Err)
		}
		return nil, agent.ExplainTLS(err, t.server)
	}
	return res, nil
}

// agentOptions are the agent's connection options for c.
func (c conn) agentOptions() agent.Options {
	return agent.Options{Server: c.Server, Key: c.Key, RootCAs: c.roots, Insecure: c.Insecure}
}
