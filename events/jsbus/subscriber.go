package jsbus

import (
	"context"
	"sync"
	"time"

	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"warren/domain"
)

// Subscriber is a watermill subscriber on JetStream: each topic is read
// through a durable pull consumer named "<Durable>_<topic>" (created if
// missing, kept when the subscription ends: a restarted node resumes
// after its last ack), and a message is acknowledged to JetStream only
// once the handler acks it, and synchronously (a returned ack is stored).
// A nack redelivers it (after nakDelay); one neither acked nor nacked
// within AckWait comes again. Subscribing to a topic more than once reads
// it in parallel: each message goes to one of the subscriptions.
//
// It reads messages as watermill-nats writes them (its unmarshaler), but
// is not watermill-nats' JetStream subscriber: that one closes a
// subscription's channel while its handler may still be sending on it
// (pkg/jetstream consumer.go monitor vs message_handler.go, a race the
// detector reports and a possible "send on closed channel" panic whenever
// a subscription ends under traffic). Here a subscription ends by
// stopping the consumer, waiting for every handler to return, and only
// then closing the channel.
type Subscriber struct {
	nc        *nats.Conn
	js        jetstream.JetStream
	cfg       Config
	nakDelay  time.Duration
	closing   chan struct{}
	closeOnce sync.Once
	subs      sync.WaitGroup
}

// NewSubscriber connects and returns a Subscriber: CodeInvalid without
// cfg.Durable, CodeUnavailable when NATS cannot be reached.
func NewSubscriber(cfg Config) (*Subscriber, error) { return newSubscriber(cfg, 0) }

func newSubscriber(cfg Config, nakDelay time.Duration) (*Subscriber, error) {
	cfg.defaults()
	if cfg.Durable == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "a JetStream subscriber needs a durable name")
	}
	nc, err := connect(cfg)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, domain.Errorf(domain.CodeUnavailable, "JetStream: %v", err)
	}
	return &Subscriber{nc: nc, js: js, cfg: cfg, nakDelay: nakDelay, closing: make(chan struct{})}, nil
}

// Subscribe reads topic until ctx ends or the subscriber closes; then the
// channel is closed.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	select {
	case <-s.closing:
		return nil, domain.Errorf(domain.CodeUnavailable, "the subscriber is closed")
	default:
	}
	c, err := s.consumer(ctx, topic)
	if err != nil {
		return nil, err
	}
	sub := &subscription{s: s, ctx: ctx, out: make(chan *message.Message), stop: make(chan struct{})}
	cc, err := c.Consume(sub.handle, jetstream.PullMaxMessages(16))
	if err != nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "consuming %s: %v", topic, err)
	}
	s.subs.Add(1)
	go func() {
		defer s.subs.Done()
		select {
		case <-ctx.Done():
		case <-s.closing:
		}
		sub.end(cc)
	}()
	return sub.out, nil
}

// consumer creates (or finds) topic's stream and durable consumer. A
// handful of messages wait in the client per subscription (PullMaxMessages
// above): more would sit there while their AckWait runs.
func (s *Subscriber) consumer(ctx context.Context, topic string) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stream, err := ensureStream(ctx, s.js, streamConfig(topic, s.cfg.MaxAge))
	if err != nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "the JetStream stream for %s: %v", topic, err)
	}
	name := s.cfg.Durable + "_" + topic
	c, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       name,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.cfg.AckWait,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1024,
	})
	if err != nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "the durable consumer %s: %v", name, err)
	}
	return c, nil
}

// Close ends every subscription (waiting for their handlers) and closes
// the connection.
func (s *Subscriber) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.subs.Wait()
		s.nc.Close()
	})
	return nil
}

// subscription is one Subscribe: JetStream's callback hands each message
// to out and waits for the handler's ack.
type subscription struct {
	s    *Subscriber
	ctx  context.Context
	out  chan *message.Message
	stop chan struct{} // closed when the subscription ends

	mu       sync.Mutex
	ended    bool
	handlers sync.WaitGroup
}

func (sub *subscription) handle(msg jetstream.Msg) {
	sub.mu.Lock()
	if sub.ended {
		// Buffered when the subscription ended: another subscriber (or
		// the next run) takes it now rather than after AckWait.
		sub.mu.Unlock()
		msg.Nak()
		return
	}
	sub.handlers.Add(1)
	sub.mu.Unlock()
	defer sub.handlers.Done()

	m, err := wmjs.DefaultUnmarshaler{}.Unmarshal(msg)
	if err != nil {
		sub.s.cfg.Logger.Error("undecodable JetStream message: terminated", err, nil)
		msg.Term()
		return
	}
	ctx, cancel := context.WithCancel(sub.ctx)
	defer cancel()
	m.SetContext(ctx)
	select {
	case sub.out <- m:
	case <-sub.stop:
		msg.Nak() // not handled: delivered again at once
		return
	}
	timeout := time.NewTimer(sub.s.cfg.AckWait)
	defer timeout.Stop()
	select {
	case <-m.Acked():
		actx, acancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer acancel()
		if err := msg.DoubleAck(actx); err != nil {
			// Delivered again later: subscribers dedupe by id.
			sub.s.cfg.Logger.Error("JetStream ack lost", err, nil)
		}
	case <-m.Nacked():
		if sub.s.nakDelay > 0 {
			msg.NakWithDelay(sub.s.nakDelay)
		} else {
			msg.Nak()
		}
	case <-timeout.C:
	case <-sub.stop:
		// The handler may still finish it, but its ack would find no
		// one here: have it delivered again (a duplicate the handler
		// dedupes) rather than wait for AckWait.
		msg.Nak()
	}
}

// end stops the consumer, handing back what it buffered, waits for the
// handlers, then closes out.
func (sub *subscription) end(cc jetstream.ConsumeContext) {
	close(sub.stop)
	sub.mu.Lock()
	sub.ended = true
	sub.mu.Unlock()
	if sub.s.nc.IsConnected() {
		cc.Drain()
	} else {
		cc.Stop() // a drain would wait for a server that is not there
	}
	select {
	case <-cc.Closed():
	case <-time.After(2 * time.Second): // NATS went away meanwhile
		cc.Stop()
	}
	sub.handlers.Wait()
	close(sub.out)
}
