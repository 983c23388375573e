package edge

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// streamTransport is a tunnel's RoundTripper: HTTP/1.1 over pooled yamux
// streams to the agent. It does what http.Transport would, minus its two
// goroutines per connection and their hand-offs per request: the request is
// written and the response read on the caller's goroutine (a body is written
// from a goroutine of its own, so a local service may answer before it read
// the whole upload).
type streamTransport struct {
	t             *tunnel
	headerTimeout time.Duration

	mu     sync.Mutex
	idle   []*streamConn
	closed bool
}

// maxIdleStreams bounds the keep-alive pool of one tunnel.
const maxIdleStreams = 256

type streamConn struct {
	net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	idle time.Time // when it was pooled
}

// idleTimeout drops pooled streams unused this long (their local keep-alive
// connections go with them).
const idleTimeout = 90 * time.Second

func newStreamTransport(t *tunnel, headerTimeout time.Duration) *streamTransport {
	return &streamTransport{t: t, headerTimeout: headerTimeout}
}

// CloseIdleConnections closes the pool and refuses to pool more.
func (tr *streamTransport) CloseIdleConnections() {
	tr.mu.Lock()
	idle := tr.idle
	tr.idle, tr.closed = nil, true
	tr.mu.Unlock()
	for _, sc := range idle {
		sc.Close()
	}
}

// get returns a pooled stream, or dials one. With probe, a pooled stream is
// checked to be still open first; a request without a body skips the check
// (about 2% of a small request's cost), since on a stream the agent closed it
// fails at once, before any response byte, and is retried on a fresh one.
func (tr *streamTransport) get(ctx context.Context, probe bool) (*streamConn, bool, error) {
	for {
		tr.mu.Lock()
		n := len(tr.idle)
		if n == 0 {
			tr.mu.Unlock()
			break
		}
		sc := tr.idle[n-1]
		tr.idle = tr.idle[:n-1]
		tr.mu.Unlock()
		if time.Since(sc.idle) < idleTimeout && (!probe || sc.alive()) {
			return sc, true, nil
		}
		sc.Close()
	}
	c, err := dialTunnel(ctx, tr.t)
	if err != nil {
		return nil, false, err
	}
	return &streamConn{Conn: c, br: bufio.NewReaderSize(c, 16<<10), bw: bufio.NewWriterSize(c, 16<<10)}, false, nil
}

// alive reports whether the agent has not closed an idle stream (a local
// service closing its keep-alive connection closes the stream): a read
// with a deadline already past either times out (open) or finds EOF or data.
func (sc *streamConn) alive() bool {
	if sc.br.Buffered() > 0 {
		return false // bytes nobody asked for: not a clean keep-alive
	}
	_ = sc.SetReadDeadline(time.Now().Add(-time.Second))
	_, err := sc.br.Peek(1)
	_ = sc.SetReadDeadline(time.Time{})
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (tr *streamTransport) put(sc *streamConn) {
	tr.mu.Lock()
	if !tr.closed && len(tr.idle) < maxIdleStreams {
		sc.idle = time.Now()
		tr.idle = append(tr.idle, sc)
		tr.mu.Unlock()
		return
	}
	tr.mu.Unlock()
	sc.Close()
}

// RoundTrip sends req over a stream. A request without a body that fails on
// a reused stream before any response byte is retried once on a fresh one.
func (tr *streamTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		sc, reused, err := tr.get(req.Context(), req.Body != nil && req.Body != http.NoBody)
		if err != nil {
			return nil, err
		}
		res, err, retry := tr.roundTrip(sc, req)
		if err != nil && reused && retry && attempt == 0 {
			continue
		}
		return res, err
	}
}

func (tr *streamTransport) roundTrip(sc *streamConn, req *http.Request) (*http.Response, error, bool) {
	ctx := req.Context()
	stop := context.AfterFunc(ctx, func() { sc.Close() })
	hasBody := req.Body != nil && req.Body != http.NoBody
	wrote := make(chan error, 1)
	// A large or unknown-length body is written beside the wait for the
	// answer (the local service may answer before reading it all). A small
	// known one is written first: it fits the stream's window, so the write
	// cannot wait on the agent, and the outcome is known before the answer
	// ends, which is when the stream goes back to the pool. (Written beside,
	// a writer goroutine not yet run then made the stream be closed instead.)
	// A length of 0 with a body is unknown, as for http.Transport.
	if hasBody && (req.ContentLength <= 0 || req.ContentLength > syncWriteMax) {
		// A client body that fails to read (cut short, malformed) leaves a
		// request the local service waits on: close the stream so the wait
		// for the answer ends now, not at the header timeout.
		body := &bodyReader{rc: req.Body}
		out := *req
		out.Body = body
		go func() {
			err := writeRequest(sc, &out)
			if body.failed() {
				sc.Close()
			}
			wrote <- err
		}()
	} else if err := writeRequest(sc, req); err != nil {
		stop()
		sc.Close()
		return nil, err, !hasBody
	} else {
		wrote <- nil
	}
	// The header timeout closes the stream rather than setting a read
	// deadline: yamux makes a timer for every Read under a deadline, and
	// under load that was two timers a request instead of one.
	var timedOut atomic.Bool
	var headerTimer *time.Timer
	if tr.headerTimeout > 0 {
		headerTimer = time.AfterFunc(tr.headerTimeout, func() { timedOut.Store(true); sc.Close() })
	}
	var res *http.Response
	var err error
	for {
		res, err = http.ReadResponse(sc.br, req)
		if err != nil || res.StatusCode >= 200 || res.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		// 1xx informational (100 Continue, 103): the edge's own server
		// answers Expect itself; skip them.
	}
	if headerTimer != nil && !headerTimer.Stop() && err == nil {
		// The headers came as the timer fired: the stream is closed.
		res.Body.Close()
		err = errHeaderTimeout
	}
	if err != nil {
		stop()
		sc.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err(), false
		}
		if timedOut.Load() {
			return nil, errHeaderTimeout, false
		}
		return nil, err, !hasBody && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF))
	}
	if ctx.Err() != nil {
		// The client went away while the answer came: do not forward it.
		stop()
		sc.Close()
		return nil, ctx.Err(), false
	}
	if res.StatusCode == http.StatusSwitchingProtocols {
		stop()
		res.Body = &upgraded{sc: sc}
		return res, nil, false
	}
	res.Body = &pooledBody{rc: res.Body, sc: sc, tr: tr, wrote: wrote, stop: stop,
		reuse: !res.Close && !req.Close}
	return res, nil, false
}

// syncWriteMax is the largest request body written before waiting for the
// answer: well under yamux's initial 256 KiB stream window.
const syncWriteMax = 64 << 10

// bodyReader tells a failed read of the request body (the client's side)
// from a failed write of it to the stream.
type bodyReader struct {
	rc  io.ReadCloser
	bad atomic.Bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		b.bad.Store(true)
	}
	return n, err
}

func (b *bodyReader) Close() error { return b.rc.Close() }
func (b *bodyReader) failed() bool { return b.bad.Load() }

// errHeaderTimeout is a response-header timeout (the edge answers 504).
var errHeaderTimeout = &timeoutError{"timeout awaiting response headers"}

type timeoutError struct{ s string }

func (e *timeoutError) Error() string   { return e.s }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

func writeRequest(sc *streamConn, req *http.Request) error {
	if err := req.Write(sc.bw); err != nil {
		return err
	}
	return sc.bw.Flush()
}

// pooledBody returns its stream to the pool once the body was read to the
// end and the request written in full; otherwise it closes the stream.
type pooledBody struct {
	rc    io.ReadCloser
	sc    *streamConn
	tr    *streamTransport
	wrote chan error
	stop  func() bool
	reuse bool
	eof   bool
	once  sync.Once
}

func (b *pooledBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if errors.Is(err, io.EOF) {
		b.eof = true
		b.release()
	}
	return n, err
}

// Close before EOF closes the stream rather than the body: closing an
// http body drains it, and an endless stream would never end.
func (b *pooledBody) Close() error {
	if b.rc == http.NoBody {
		b.eof = true
	}
	b.release()
	return nil
}

func (b *pooledBody) release() {
	b.once.Do(func() {
		b.stop()
		if !b.eof || !b.reuse {
			b.sc.Close()
			return
		}
		// Reuse only after the request was written in full. A writer that
		// has not reported yet is waited for off this goroutine: it has
		// usually finished (the answer came after the upload) and not yet
		// run, and closing the stream then would waste it.
		select {
		case err := <-b.wrote:
			b.putOrClose(err)
		default:
			go func() { b.putOrClose(<-b.wrote) }()
		}
	})
}

func (b *pooledBody) putOrClose(writeErr error) {
	if writeErr == nil {
		b.tr.put(b.sc)
		return
	}
	b.sc.Close()
}

// upgraded is a 101's connection, handed to ReverseProxy as the body.
type upgraded struct{ sc *streamConn }

func (u *upgraded) Read(p []byte) (int, error)  { return u.sc.br.Read(p) }
func (u *upgraded) Write(p []byte) (int, error) { return u.sc.Write(p) }
func (u *upgraded) Close() error                { return u.sc.Close() }
