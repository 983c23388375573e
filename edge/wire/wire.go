package wire

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	jsonv2 "github.com/go-json-experiment/json"
	"io"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

// Version is the control protocol version carried in every message.
const Version = 1

// Upgrade is the HTTP Upgrade token of an agent connection.
const Upgrade = "warren-agent/1"

// ConnectPath is where agents dial.
const ConnectPath = "/api/v1/agent/connect"

// Control message types.
const (
	TypeOpen      = "open"      // agent → server: open a tunnel
	TypeOpened    = "opened"    // server → agent: tunnel live
	TypeError     = "error"     // server → agent: open refused
	TypeClose     = "close"     // agent → server: close a tunnel
	TypeClosed    = "closed"    // server → agent: tunnel closed (any reason)
	TypeHeartbeat = "heartbeat" // both ways
	TypeRequest   = "request"   // server → agent: one line per captured exchange
	TypeRequests  = "requests"  // server → agent: the lines of several exchanges
)

// Msg is one control message: a JSON object on one line. Fields not used by
// a type are left out.
type Msg struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	// Ref correlates an open with its opened or error reply.
	Ref string `json:"ref,omitempty"`

	// open / opened
	Proto     string `json:"proto,omitempty"`
	Subdomain string `json:"subdomain,omitempty"`
	Hostname  string `json:"hostname,omitempty"` // a verified custom domain to route here
	Local     string `json:"local,omitempty"`
	ID        string `json:"id,omitempty"`
	URL       string `json:"url,omitempty"`
	Port      int    `json:"port,omitempty"`
	// Lines asks for a request line per captured exchange (the CLI prints them).
	Lines bool `json:"lines,omitempty"`
	// open, issue 17: webhook verifiers as --verify-webhook specs (secrets
	// included: this stream is the agent's authenticated connection; the
	// server seals them and never logs a message), and whether a delivery
	// that does not verify is refused with a 401.
	Webhooks       []string `json:"webhooks,omitempty"`
	WebhookEnforce bool     `json:"webhookEnforce,omitempty"`
	// Access (open): who may reach the tunnel; nil lets anyone in.
	Access *Access `json:"access,omitempty"`

	// error
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`

	// closed
	Reason string `json:"reason,omitempty"`

	// request, requests
	Request  *RequestLine  `json:"request,omitempty"`
	Requests []RequestLine `json:"requests,omitempty"`
}

// RequestLine is what the agent prints per captured exchange.
type RequestLine struct {
	ID         string    `json:"id"`
	Tunnel     string    `json:"tunnel"`
	Kind       string    `json:"kind"`
	Method     string    `json:"method,omitempty"`
	Path       string    `json:"path,omitempty"`
	Status     int       `json:"status"`
	DurationMs float64   `json:"durationMs"`
	BytesIn    int64     `json:"bytesIn"`
	BytesOut   int64     `json:"bytesOut"`
	Error      string    `json:"error,omitempty"`
	At         time.Time `json:"at"`
	// A replay's: the request it replays (req_…), and what its overrides
	// changed ("method", "path", "headers", "body"; none: a faithful replay).
	ReplayOf  string   `json:"replayOf,omitempty"`
	Overrides []string `json:"overrides,omitempty"`
	// issue 17: the webhook verifier's verdict (nil: the tunnel has none).
	Webhook *WebhookLine `json:"webhook,omitempty"`
}

// WebhookLine is a captured delivery's webhook verdict, for the agent's line.
type WebhookLine struct {
	Provider string `json:"provider"`
	Verified bool   `json:"verified"`
	Reason   string `json:"reason,omitempty"`
	Enforced bool   `json:"enforced,omitempty"`
	Resigned bool   `json:"resigned,omitempty"`
}

// Conn reads and writes control messages on a stream. Writes are serialised;
// reads belong to one goroutine. A write waits for the peer only as long as
// the stream's write deadline (SetWriteDeadline) allows: the server gives
// every write one, and writes from a single goroutine, so no lock is ever
// held for longer than that deadline.
type Conn struct {
	rw  io.ReadWriteCloser
	r   *bufio.Reader
	wmu sync.Mutex
}

// NewConn wraps a control stream.
func NewConn(rw io.ReadWriteCloser) *Conn {
	return &Conn{rw: rw, r: bufio.NewReaderSize(rw, 4096)}
}

// maxLine bounds one control message so a peer cannot make us buffer forever.
const maxLine = 64 << 10

// Read returns the next message. A message of another version is an error.
func (c *Conn) Read() (Msg, error) {
	var m Msg
	line, err := c.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// Longer than the reader's buffer (kept small: a thousand idle
		// sessions each hold one): gather it, up to maxLine.
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(long) <= maxLine {
			line, err = c.r.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if len(line) > maxLine {
		return m, fmt.Errorf("control message longer than %d bytes", maxLine)
	}
	if err != nil {
		return m, err
	}
	// json/v2: the faster decoder (docs/performance.md, "Agent control
	// stream"). Messages come from encoding/json on the other side: exact
	// names, valid UTF-8.
	if err := jsonv2.Unmarshal(line, &m); err != nil {
		return m, fmt.Errorf("bad control message: %w", err)
	}
	if m.V != Version {
		return m, fmt.Errorf("control message version %d, want %d", m.V, Version)
	}
	return m, nil
}

// Write sends m (its V is set here).
func (c *Conn) Write(m Msg) error {
	m.V = Version
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err = c.rw.Write(b)
	return err
}

// WriteAll sends ms in one write (each one's V is set here): a burst of
// replies costs one frame, not one per message.
func (c *Conn) WriteAll(ms []Msg) error {
	var b []byte
	for _, m := range ms {
		m.V = Version
		line, err := json.Marshal(m)
		if err != nil {
			return err
		}
		b = append(append(b, line...), '\n')
	}
	if len(b) == 0 {
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.rw.Write(b)
	return err
}

// SetWriteDeadline bounds the writes that follow (and one under way) when
// the stream supports deadlines, as yamux streams and net.Conns do. It fails
// with an error for a stream without deadlines.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	d, ok := c.rw.(interface{ SetWriteDeadline(time.Time) error })
	if !ok {
		return errors.New("control stream has no write deadline")
	}
	return d.SetWriteDeadline(t)
}

// Close closes the stream.
func (c *Conn) Close() error { return c.rw.Close() }

// Stream header: the server opens a stream per public connection and writes
// [1] version [1] len(tunnel id) tunnel id; the agent answers one status
// byte: StatusOK once its local service accepted the connection, else
// StatusRefused followed by [1] len + a reason.
const (
	headerVersion = 1
	StatusOK      = 0
	StatusRefused = 1
)

// WriteHeader writes a stream header naming the tunnel.
func WriteHeader(w io.Writer, tunnelID string) error {
	if len(tunnelID) > 255 {
		return errors.New("tunnel id too long")
	}
	b := make([]byte, 0, 2+len(tunnelID))
	b = append(b, headerVersion, byte(len(tunnelID)))
	b = append(b, tunnelID...)
	_, err := w.Write(b)
	return err
}

// ReadHeader reads a stream header and returns the tunnel id.
func ReadHeader(r io.Reader) (string, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return "", err
	}
	if h[0] != headerVersion {
		return "", fmt.Errorf("stream header version %d", h[0])
	}
	id := make([]byte, h[1])
	if _, err := io.ReadFull(r, id); err != nil {
		return "", err
	}
	return string(id), nil
}

// WriteStatus answers a stream header.
func WriteStatus(w io.Writer, status byte, reason string) error {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	b := []byte{status}
	if status != StatusOK {
		b = append(b, byte(len(reason)))
		b = append(b, reason...)
	}
	_, err := w.Write(b)
	return err
}

// ErrRefused is returned by ReadStatus when the agent could not reach its
// local service.
type ErrRefused struct{ Reason string }

func (e *ErrRefused) Error() string { return "local service refused: " + e.Reason }

// ReadStatus reads the agent's answer to a header.
func ReadStatus(r io.Reader) error {
	var s [1]byte
	if _, err := io.ReadFull(r, s[:]); err != nil {
		return err
	}
	if s[0] == StatusOK {
		return nil
	}
	var n [1]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return err
	}
	reason := make([]byte, n[0])
	if _, err := io.ReadFull(r, reason); err != nil {
		return err
	}
	return &ErrRefused{Reason: string(reason)}
}

// MuxConfig is the server's yamux configuration: keepalive every 10 s and a
// write timeout so a dead peer is noticed within 30 s, and a stream window
// of ServerStreamWindow. The window a side grants is what it may have to
// hold for one stream whose reader is slower than its sender: on the server
// that reader is a public visitor, who may never read at all, so the
// server's window is small (yamux keeps it in a buffer that can grow to
// twice that). The agent uses AgentMuxConfig.
func MuxConfig() *yamux.Config {
	c := yamux.DefaultConfig()
	c.AcceptBacklog = 1024
	c.EnableKeepAlive = true
	c.KeepAliveInterval = 10 * time.Second
	c.ConnectionWriteTimeout = 15 * time.Second
	c.StreamOpenTimeout = 15 * time.Second
	c.MaxStreamWindowSize = ServerStreamWindow
	// A stream closed on one side and not the other for this long is reset
	// (yamux has no explicit reset): a safety net against peers that stop
	// reading; TCP half-closes longer than this are cut.
	c.StreamCloseTimeout = 2 * time.Minute
	c.LogOutput = io.Discard
	return c
}

// ServerStreamWindow is the receive window of each stream on the server:
// what one public connection's download may leave buffered there when the
// visitor reads slower than the agent sends (60 visitors that never read
// took a server with 16 MiB windows from 56 MB to 2.85 GB).
const ServerStreamWindow = 512 << 10

// AgentMuxConfig is MuxConfig with the agent's larger stream window (an
// upload's data waits there for the local service, on the agent's own
// machine): 16 MiB carries bulk transfers with fewer stalls for window
// updates than 4 MiB did.
func AgentMuxConfig() *yamux.Config {
	c := MuxConfig()
	c.MaxStreamWindowSize = 16 << 20
	return c
}

// BufferedConn is a net.Conn whose first reads come from a bufio.Reader that
// may hold bytes read past the HTTP upgrade.
type BufferedConn struct {
	net.Conn
	R *bufio.Reader
}

func (c *BufferedConn) Read(p []byte) (int, error) {
	if c.R != nil {
		if c.R.Buffered() > 0 {
			return c.R.Read(p)
		}
		c.R = nil
	}
	return c.Conn.Read(p)
}
