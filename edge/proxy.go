package edge

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"time"

	"warren/domain"
	"warren/edge/wire"
)

type exchangeKey struct{}

// newProxy builds the one reverse proxy. Its transport picks the tunnel's own
// http.Transport (keep-alive pool of yamux streams) from the request context.
func (s *Server) newProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// Rewrite mode already removed client-supplied X-Forwarded-*.
			x := pr.In.Context().Value(exchangeKey{}).(*exchange)
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = x.t.name
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set("X-Forwarded-For", x.ip)
			pr.Out.Header.Set("X-Forwarded-Host", pr.In.Host)
			pr.Out.Header.Set("X-Forwarded-Proto", forwardedProto(pr.In, s.cfg.Scheme))
		},
		Transport: roundTripper{},
		// -1: flush after every write, known length or not. With 0
		// (ReverseProxy's rule: flush only SSE and unknown-length bodies)
		// the tail of what a local service sent before a pause stayed in
		// the response buffer until more came (TestServer_AnswerCutByAgent
		// hung on its last 123 bytes). Writes are whole reads of up to the
		// copy buffer, so bulk transfers gain no syscalls.
		FlushInterval:  -1,
		BufferPool:     newBufPool(),
		ModifyResponse: modifyResponse,
		ErrorHandler:   s.proxyError,
		ErrorLog:       slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelDebug),
	}
}

// forwardedProto is the scheme the client used, from the connection it came
// on, never from its headers: https over our TLS listener; without one,
// the configured scheme ("https" when TLS terminates in front of us).
func forwardedProto(r *http.Request, scheme string) string {
	if r.TLS != nil {
		return "https"
	}
	if scheme == "" {
		return "http"
	}
	return scheme
}

type roundTripper struct{}

func (roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	x := r.Context().Value(exchangeKey{}).(*exchange)
	return x.t.transport.RoundTrip(r)
}

// errAgentGone marks a failed dial: the agent session is closed or unresponsive.
type errAgentGone struct{ err error }

func (e *errAgentGone) Error() string { return "agent unreachable: " + e.err.Error() }
func (e *errAgentGone) Unwrap() error { return e.err }

// dialTunnel opens a stream to the agent, names the tunnel and waits for the
// agent to have connected its local service.
func dialTunnel(ctx context.Context, t *tunnel) (net.Conn, error) {
	if t.sess == nil {
		return nil, &errAgentGone{errors.New("tunnel closed")}
	}
	select {
	case <-t.closed:
		return nil, &errAgentGone{errors.New("tunnel closed")}
	default:
	}
	st, err := t.sess.mux.OpenStream()
	if err != nil {
		return nil, &errAgentGone{err}
	}
	deadline := time.Now().Add(15 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = st.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { st.Close() })
	defer stop()
	if err := wire.WriteHeader(st, t.info.ID); err != nil {
		st.Close()
		return nil, &errAgentGone{err}
	}
	if err := wire.ReadStatus(st); err != nil {
		st.Close()
		var ref *wire.ErrRefused
		if errors.As(err, &ref) {
			return nil, err
		}
		return nil, &errAgentGone{err}
	}
	_ = st.SetDeadline(time.Time{})
	return st, nil
}

// modifyResponse records what the local service answered. A 101's body is
// the upgraded connection: it is wrapped to count bytes both ways.
func modifyResponse(res *http.Response) error {
	x := res.Request.Context().Value(exchangeKey{}).(*exchange)
	x.mu.Lock()
	x.status = res.StatusCode
	x.respHeaders = res.Header // not mutated after ModifyResponse; marshalled before the handler returns
	x.ttfb = x.now()
	x.mu.Unlock()
	if res.StatusCode == http.StatusSwitchingProtocols {
		if rwc, ok := res.Body.(io.ReadWriteCloser); ok {
			x.kind = domain.KindWebSocket
			res.Body = &countingConn{rwc: rwc, x: x}
		}
	}
	return nil
}

// countingConn counts an upgraded connection's bytes: writes go to the
// local service (in), reads come from it (out).
type countingConn struct {
	rwc io.ReadWriteCloser
	x   *exchange
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.rwc.Read(p)
	c.x.addOut(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.rwc.Write(p)
	c.x.addIn(int64(n))
	return n, err
}

func (c *countingConn) Close() error { return c.rwc.Close() }

// proxyError answers a failed exchange: 502 when the agent or local service
// is unreachable, 504 on a response-header timeout; nothing for a client
// that went away.
func (s *Server) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	x := r.Context().Value(exchangeKey{}).(*exchange)
	var ref *wire.ErrRefused
	var gone *errAgentGone
	var ne net.Error
	x.mu.Lock()
	readErr := x.reqBody.readErr
	x.mu.Unlock()
	switch {
	case r.Context().Err() != nil:
		x.setError("client_abort", statusClientClosed)
		return
	case readErr != nil:
		// The client is there but its body broke off or is malformed: say
		// so (net/http would answer an empty 200 for a handler that wrote
		// nothing), and close, since the rest of it cannot be found.
		x.setError("bad_request_body", http.StatusBadRequest)
		w.Header().Set("Connection", "close")
		writeError(w, r, http.StatusBadRequest, "bad_request_body", "Bad request body",
			"The request body was cut short or malformed ("+readErr.Error()+"), so it was not delivered whole to "+x.t.name+".")
	case errors.As(err, &ref):
		x.setError("local_refused", http.StatusBadGateway)
		writeError(w, r, http.StatusBadGateway, "local_refused", "Local service unreachable",
			"The tunnel "+x.t.name+" is online, but its agent could not reach "+x.t.info.Local+": "+ref.Reason+".")
	case errors.As(err, &gone):
		x.setError("agent_gone", http.StatusBadGateway)
		writeError(w, r, http.StatusBadGateway, "agent_gone", "Tunnel agent unreachable",
			"The agent serving "+x.t.name+" is not connected. Restart `warren http` on its machine.")
	case errors.As(err, &ne) && ne.Timeout() || strings.Contains(err.Error(), "timeout awaiting response headers"):
		x.setError("timeout", http.StatusGatewayTimeout)
		writeError(w, r, http.StatusGatewayTimeout, "timeout", "Local service timed out",
			"The local service behind "+x.t.name+" did not answer with response headers in time.")
	case x.t.sessionLost():
		// The agent's connection died while the request waited.
		x.setError("agent_gone", http.StatusBadGateway)
		writeError(w, r, http.StatusBadGateway, "agent_gone", "Tunnel agent unreachable",
			"The agent serving "+x.t.name+" disconnected during the request. Restart `warren http` on its machine.")
	default:
		x.setError("bad_gateway", http.StatusBadGateway)
		writeError(w, r, http.StatusBadGateway, "bad_gateway", "Bad gateway",
			"The exchange with the local service behind "+x.t.name+" failed.")
	}
}

// copyBufSize is the proxy's copy buffer: large copies mean large yamux
// frames and fewer syscalls on bulk transfers.
const copyBufSize = 256 << 10

// bufPool recycles the proxy's copy buffers.
type bufPool struct{ p *sync.Pool }

func newBufPool() bufPool {
	return bufPool{&sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}}
}

func (b bufPool) Get() []byte  { return *(b.p.Get().(*[]byte)) }
func (b bufPool) Put(p []byte) { b.p.Put(&p) }
