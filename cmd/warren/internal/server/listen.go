package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"warren/edge"
)

// listener is one address the server answers on, with its own http.Server:
// which listeners exist and what each serves is decided here, so TLS or a
// metrics listener is one more listener, not a change to edge or httpapi.
type listener struct {
	name string
	ln   net.Listener
	srv  *http.Server // set before serve
	// served: srv.Serve owns ln (Shutdown closes it); until then, shutdown
	// closes ln itself.
	served bool
	// tls: served with ServeTLS, under srv.TLSConfig (see finishTLS).
	tls bool
}

// listen binds addr for the listener called name (used in messages).
func listen(name, addr string) (*listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s (%s): %w", addr, name, err)
	}
	return &listener{name: name, ln: ln}, nil
}

// newPublicServer is the http.Server of the public address, with the edge's
// settings: bounded header reads, no whole-request timeouts (tunnelled
// bodies, SSE and upgrades stream as long as they progress).
func newPublicServer(h http.Handler, logger *slog.Logger) *http.Server {
	srv := edge.NewHTTPServer(h)
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	return srv
}

// serve runs l's http.Server in a goroutine that Close waits for; a failure
// other than the shutdown is reported on Err (the first one only).
func (m *Main) serve(l *listener) {
	l.served = true
	m.serving.Add(1)
	go func() {
		defer m.serving.Done()
		serve := l.srv.Serve
		if l.tls {
			// ServeTLS, not Serve over a tls listener: it sets up HTTP/2.
			serve = func(ln net.Listener) error { return l.srv.ServeTLS(ln, "", "") }
		}
		if err := serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			select {
			case m.serveErr <- fmt.Errorf("%s listener: %w", l.name, err):
			default:
			}
		}
	}()
}

// shutdown stops accepting and drains requests in flight until ctx ends,
// then cuts the ones still running. A listener never served is just closed.
func (l *listener) shutdown(ctx context.Context, logger *slog.Logger) error {
	if !l.served {
		return l.ln.Close()
	}
	if err := l.srv.Shutdown(ctx); err != nil {
		logger.Warn("shutdown grace period over; closing connections", "listener", l.name)
		return l.srv.Close()
	}
	return nil
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
