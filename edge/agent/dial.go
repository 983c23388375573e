package agent

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/yamux"

	"warren/domain"
	"warren/edge/wire"
)

// connect dials o.Server, upgrades to the agent protocol and returns the
// yamux session with its control stream. A refusal from the server is a
// *domain.Error with the server's code (unauthorized is permanent); a
// certificate that does not verify says how to trust it (ExplainTLS).
func connect(ctx context.Context, o Options) (*yamux.Session, *wire.Conn, error) {
	server, key := o.Server, o.Key
	if err := CheckServer(server, o.Insecure); err != nil {
		return nil, nil, err
	}
	u, _ := url.Parse(server) // CheckServer parsed it
	host := hostPort(u)
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	var conn net.Conn
	var err error
	if u.Scheme == "https" {
		conn, err = (&tls.Dialer{NetDialer: d, Config: connectTLS(u.Hostname(), o.RootCAs)}).DialContext(ctx, "tcp", host)
		err = ExplainTLS(err, server)
	} else {
		conn, err = d.DialContext(ctx, "tcp", host)
	}
	var explained *domain.Error
	if errors.As(err, &explained) {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, domain.Errorf(domain.CodeUnavailable, "cannot reach %s: %v", server, err)
	}
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	req := "GET " + wire.ConnectPath + " HTTP/1.1\r\nHost: " + u.Host + "\r\nAuthorization: Bearer " + key +
		"\r\nConnection: Upgrade\r\nUpgrade: " + wire.Upgrade + "\r\nUser-Agent: warren-agent/1\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, nil, domain.Errorf(domain.CodeUnavailable, "cannot reach %s: %v", server, err)
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, nil, domain.Errorf(domain.CodeUnavailable, "bad answer from %s: %v", server, err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		defer conn.Close()
		var e struct{ Error, Message string }
		_ = json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&e)
		code := domain.Code(e.Error)
		if res.StatusCode == http.StatusUnauthorized {
			code = domain.CodeUnauthorized
		} else if code == "" {
			code = domain.CodeUnavailable
		}
		msg := e.Message
		if msg == "" {
			msg = fmt.Sprintf("%s answered %s (is it a Warren server?)", server, res.Status)
		}
		return nil, nil, domain.Errorf(code, "%s", msg)
	}
	_ = conn.SetDeadline(time.Time{})
	var c net.Conn = conn
	if br.Buffered() > 0 {
		c = &wire.BufferedConn{Conn: conn, R: br}
	}
	mux, err := yamux.Client(wire.Batch(c), wire.AgentMuxConfig())
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	st, err := mux.OpenStream()
	if err != nil {
		mux.Close()
		return nil, nil, domain.Errorf(domain.CodeUnavailable, "opening the control stream: %v", err)
	}
	return mux, wire.NewConn(st), nil
}

// NormalizeLocal turns "3000", ":3000", "host:3000" or "http://host:3000"
// into a dialable host:port.
func NormalizeLocal(local string) (string, error) {
	s := local
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s = strings.TrimSuffix(s, "/")
	if !strings.Contains(s, ":") {
		s = ":" + s
	}
	host, port, err := net.SplitHostPort(s)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 {
		return "", domain.Errorf(domain.CodeInvalid, "%q is not PORT or HOST:PORT (a port is 1-65535)", local)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
