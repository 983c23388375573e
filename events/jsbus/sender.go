package jsbus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/events"
)

// TopicCaptures is the topic edges send their captures on, to the control
// plane's one durable consumer.
const TopicCaptures = "captures"

// SenderConfig configures an edge's capture Sender.
type SenderConfig struct {
	// Bus is the connection (URL, name, credentials); Durable is unused.
	Bus Config
	// SpoolDir holds the spool (required): one per edge process.
	SpoolDir string
	// SpoolLimit bounds the spool's bytes (default 1 GiB); beyond it new
	// captures are dropped and counted.
	SpoolLimit int64
	// MaxInFlight bounds the captures published and not yet acknowledged
	// (default 256).
	MaxInFlight int
	// AckTimeout is how long a PubAck may take before the capture and
	// those after it are sent again (default 5 s).
	AckTimeout time.Duration
	// Logf reports drops and outages (default: none); it is called from
	// the sender's goroutine and from Send, never under a lock.
	Logf func(format string, args ...any)
}

// Sender hands an edge's captures to the control plane through JetStream:
// Send spools each capture, and one goroutine publishes the spool in
// order, MaxInFlight at a time, with Nats-Msg-Id = the capture's key, and
// releases each once its PubAck came. While NATS is unreachable the edge
// keeps serving: captures wait in the spool and go once it is back.
type Sender struct {
	cfg   SenderConfig
	nc    *nats.Conn
	js    jetstream.JetStream
	spool *spool
	mar   wmnats.NATSMarshaler

	sent      atomic.Uint64
	lastErr   atomic.Pointer[string]
	dropLog   atomic.Int64 // unix seconds of the last drop log line
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// SenderStats is what a Sender reports for metrics.
type SenderStats struct {
	// Sent counts captures JetStream acknowledged (sends again included).
	Sent uint64
	// Spooled is the bytes of captures not yet acknowledged.
	Spooled int64
	// Dropped counts captures lost: refused by a full spool, or a torn
	// record found in the spool after a crash.
	Dropped uint64
	// Err is the last publishing error, "" once a publish succeeds again.
	Err string
}

// NewSender opens the spool and starts sending. NATS need not be up: the
// connection is retried in the background. Errors: CodeInvalid without a
// SpoolDir, CodeUnavailable when the spool cannot be opened.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if cfg.SpoolDir == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "a capture sender needs a spool directory")
	}
	if cfg.SpoolLimit <= 0 {
		cfg.SpoolLimit = 1 << 30
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 256
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 5 * time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	cfg.Bus.defaults()
	sp, err := openSpool(cfg.SpoolDir, cfg.SpoolLimit, min(64<<20, max(cfg.SpoolLimit/8, 1<<20)))
	if err != nil {
		return nil, err
	}
	bus := cfg.Bus
	bus.Options = append([]nats.Option{
		nats.RetryOnFailedConnect(true),
		// Publishes while disconnected fail at once rather than pile up
		// in the client: the spool is the buffer.
		nats.ReconnectBufSize(-1),
	}, bus.Options...)
	nc, err := connect(bus)
	if err != nil {
		sp.close()
		return nil, err
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(cfg.MaxInFlight+1), jetstream.WithPublishAsyncTimeout(cfg.AckTimeout))
	if err != nil {
		nc.Close()
		sp.close()
		return nil, domain.Errorf(domain.CodeUnavailable, "JetStream: %v", err)
	}
	s := &Sender{cfg: cfg, nc: nc, js: js, spool: sp, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s, nil
}

// Send spools d, to be appended by the control plane under key (the
// capture's ULID). It returns once the capture is on local disk, without
// waiting for NATS. A full spool drops it: CodeQuota, counted in Stats and
// logged (at most once a second). An unencodable draft is CodeInternal.
func (s *Sender) Send(key ulid.ULID, d events.Draft) error {
	b, err := events.MarshalDraft(key, d)
	if err != nil {
		return err
	}
	err = s.spool.put(b)
	if err == errSpoolFull {
		if now := time.Now().Unix(); s.dropLog.Swap(now) != now {
			s.cfg.Logf("capture spool full (%d bytes): capture %s dropped, %d dropped so far", s.cfg.SpoolLimit, key, s.spool.stats().dropped)
		}
	}
	return err
}

// Stats reports the sender's counters.
func (s *Sender) Stats() SenderStats {
	st := s.spool.stats()
	out := SenderStats{Sent: s.sent.Load(), Spooled: st.bytes, Dropped: st.dropped}
	if e := s.lastErr.Load(); e != nil {
		out.Err = *e
	}
	return out
}

// Close stops sending and closes the connection; what is not yet
// acknowledged stays in the spool for the next start.
func (s *Sender) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		s.nc.Close()
		s.spool.close()
	})
	return nil
}

// inflight is a published capture waiting for its PubAck.
type inflight struct {
	at  pos
	ack jetstream.PubAckFuture
}

// run publishes the spool in order until Close. On any failure it goes
// back to the oldest unacknowledged capture and sends again from there
// (go-back-N): JetStream drops the copies it already stored.
func (s *Sender) run() {
	defer close(s.done)
	const minBackoff, maxBackoff = 50 * time.Millisecond, 2 * time.Second
	backoff := minBackoff
	streamReady := false
	var win []inflight
	fail := func(err error) bool {
		msg := err.Error()
		if old := s.lastErr.Swap(&msg); old == nil {
			s.cfg.Logf("capture sender: %v; captures wait in the spool", err)
		}
		if len(win) > 0 {
			s.spool.rewind(win[0].at)
			win = win[:0]
		}
		// The stream may be gone (a NATS server started afresh): make
		// sure of it again before the next publish.
		streamReady = false
		select {
		case <-s.stop:
			return false
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
		return true
	}
	for {
		if !streamReady {
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.AckTimeout)
			_, err := ensureStream(ctx, s.js, streamConfig(TopicCaptures, s.cfg.Bus.MaxAge))
			cancel()
			if err != nil {
				if !fail(err) {
					return
				}
				continue
			}
			streamReady = true
		}
		for len(win) < s.cfg.MaxInFlight {
			payload, at, ok := s.spool.next()
			if !ok {
				break
			}
			f, err := s.js.PublishMsgAsync(s.message(payload))
			if err != nil {
				s.spool.rewind(at)
				if len(win) == 0 && !fail(err) {
					return
				}
				break
			}
			win = append(win, inflight{at: at, ack: f})
		}
		if len(win) == 0 {
			if !s.nc.IsConnected() {
				if !fail(nats.ErrConnectionClosed) {
					return
				}
				continue
			}
			select {
			case <-s.spool.wake:
			case <-s.stop:
				return
			}
			continue
		}
		select {
		case <-win[0].ack.Ok():
			s.spool.ack(win[0].at)
			win = win[1:]
			s.sent.Add(1)
			if s.lastErr.Swap(nil) != nil {
				s.cfg.Logf("capture sender: publishing again")
			}
			backoff = minBackoff
		case err := <-win[0].ack.Err():
			if !fail(err) {
				return
			}
		case <-s.spool.wake:
			// A new capture: publish it now if the window has room,
			// rather than after the oldest one's ack.
		case <-s.stop:
			return
		}
	}
}

// message is payload as a watermill message on the captures stream, its
// UUID and Nats-Msg-Id the capture's key.
func (s *Sender) message(payload []byte) *nats.Msg {
	key, _ := events.DraftKey(payload) // Send spooled only what it encoded
	m := message.NewMessage(key.String(), payload)
	m.Metadata.Set(nats.MsgIdHdr, m.UUID)
	nm, _ := s.mar.Marshal(streamName(TopicCaptures), m) // never fails
	return nm
}
