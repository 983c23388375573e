package jsbus

import (
	"context"
	"crypto/tls"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"warren/domain"
)

// Config configures a connection to JetStream for a publisher or a
// subscriber. Each gets a connection of its own: watermill-nats closes
// (publisher) or drains (subscriber) the connection it was given.
type Config struct {
	// URL of the NATS server (an embedded Server's URL, or --nats-url).
	URL string
	// Name names the connection in the server's monitoring (e.g.
	// "warren-control", "warren-edge-<id>").
	Name string
	// Durable prefixes the durable consumer of each topic a Subscriber
	// subscribes to: "<Durable>_<topic>". Two subscribers with the same
	// Durable share the topic's messages (each message to one of them);
	// each node needs its own to see every message. Required to subscribe.
	Durable string
	// AckWait is how long a delivered message may stay unacked before
	// JetStream delivers it again (default 30 s).
	AckWait time.Duration
	// MaxAge bounds how long a topic's stream keeps messages (default
	// 7 days): longer than any outage a node is expected to come back from.
	MaxAge time.Duration
	// NKeySeedFile authenticates with the nkey seed in this file (the
	// embedded server's ServerConfig.NKeys lists its public key).
	NKeySeedFile string
	// CredsFile authenticates with a NATS credentials file (an external
	// server with accounts and JWTs).
	CredsFile string
	// TLS, if set, is the client's TLS configuration (root CAs, client
	// certificate) for a server that speaks TLS.
	TLS *tls.Config
	// Options are extra connection options.
	Options []nats.Option
	// Logger for watermill-nats (default: none).
	Logger watermill.LoggerAdapter
}

func (c *Config) defaults() {
	if c.AckWait == 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxAge == 0 {
		c.MaxAge = 7 * 24 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
}

// dedupWindow is how long JetStream remembers a Nats-Msg-Id: a publish
// retried within it (a lost PubAck, a reconnect) is stored once. Past it,
// the consumer's idempotent append is what keeps a capture single.
const dedupWindow = 2 * time.Minute

// streamName is the stream, and its one subject, for a watermill topic.
// watermill-nats' JetStream publisher publishes to the stream's name, so
// the two are the same.
func streamName(topic string) string { return "warren_" + topic }

func streamConfig(topic string, maxAge time.Duration) jetstream.StreamConfig {
	name := streamName(topic)
	return jetstream.StreamConfig{
		Name:       name,
		Subjects:   []string{name},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     maxAge,
		Duplicates: dedupWindow,
	}
}

// ensureStream finds cfg's stream, or creates it. It updates an existing
// stream only when its settings differ: nats-server v2.15.3 races (under
// -race) when a stream's config is rewritten while a consumer of it is
// being created, and every node calls this at start.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	st, err := js.Stream(ctx, cfg.Name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		st, err = js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return js.Stream(ctx, cfg.Name) // another node made it first
		}
		return st, err
	case err != nil:
		return nil, err
	}
	have := st.CachedInfo().Config
	if have.MaxAge == cfg.MaxAge && have.Duplicates == cfg.Duplicates && slices.Equal(have.Subjects, cfg.Subjects) &&
		have.Storage == cfg.Storage && have.Retention == cfg.Retention {
		return st, nil
	}
	return js.UpdateStream(ctx, cfg)
}

// connect dials NATS, retrying for ever once connected: a node outlives
// the bus going away and coming back.
func connect(cfg Config) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
	}
	if cfg.NKeySeedFile != "" {
		o, err := nats.NkeyOptionFromSeed(cfg.NKeySeedFile)
		if err != nil {
			return nil, domain.Errorf(domain.CodeInvalid, "the NATS nkey seed %s: %v", cfg.NKeySeedFile, err)
		}
		opts = append(opts, o)
	}
	if cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	if cfg.TLS != nil {
		opts = append(opts, nats.Secure(cfg.TLS))
	}
	opts = append(opts, cfg.Options...)
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "connecting to NATS at %s: %v", cfg.URL, err)
	}
	return nc, nil
}

// Publisher is a watermill publisher on JetStream: each message is stored
// in its topic's stream with Nats-Msg-Id = its UUID (the event ULID), and
// Publish returns once JetStream acknowledged it (PubAck).
type Publisher struct {
	wm      *wmjs.Publisher
	js      jetstream.JetStream
	maxAge  time.Duration
	mu      sync.Mutex
	streams map[string]bool // topics whose stream exists
}

// NewPublisher connects and returns a Publisher (CodeUnavailable when NATS
// cannot be reached).
func NewPublisher(cfg Config) (*Publisher, error) {
	cfg.defaults()
	// A publish while disconnected fails at once (the relay retries with
	// backoff from the log) rather than queue in the client and time out.
	cfg.Options = append([]nats.Option{nats.ReconnectBufSize(-1)}, cfg.Options...)
	nc, err := connect(cfg)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, domain.Errorf(domain.CodeUnavailable, "JetStream: %v", err)
	}
	wm, err := wmjs.NewPublisher(wmjs.PublisherConfig{
		Conn: nc, Logger: cfg.Logger,
		ConfigureStream: func(topic string) jetstream.StreamConfig { return streamConfig(topic, cfg.MaxAge) },
	})
	if err != nil {
		nc.Close()
		return nil, domain.Errorf(domain.CodeUnavailable, "JetStream publisher: %v", err)
	}
	return &Publisher{wm: wm, js: js, maxAge: cfg.MaxAge, streams: map[string]bool{}}, nil
}

// Publish stores msgs in topic's stream, in order, each acknowledged
// before the next is sent. A message whose UUID JetStream saw within the
// dedup window is acknowledged without being stored again.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	if err := p.ensureStream(topic); err != nil {
		return err
	}
	for _, m := range msgs {
		// watermill-nats copies metadata into the NATS headers: this one
		// is JetStream's dedup key, and its unmarshaler drops it again.
		m.Metadata.Set(nats.MsgIdHdr, m.UUID)
	}
	return p.wm.Publish(topic, msgs...)
}

func (p *Publisher) ensureStream(topic string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.streams[topic] {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := ensureStream(ctx, p.js, streamConfig(topic, p.maxAge)); err != nil {
		return domain.Errorf(domain.CodeUnavailable, "creating the JetStream stream for %s: %v", topic, err)
	}
	p.streams[topic] = true
	return nil
}

// Close closes the publisher's connection.
func (p *Publisher) Close() error { return p.wm.Close() }
