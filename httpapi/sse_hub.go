package httpapi

import (
	"context"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
)

// hub is one watermill subscription per topic shared by every SSE stream of
// the server. GoChannel hands each subscriber each message from a goroutine
// of its own; a hundred streams subscribing alone would cost a hundred
// goroutines per event. The hub acks at once and turns each message into a
// non-blocking wake-up per interested stream.
type hub struct {
	sub   message.Subscriber
	topic string

	mu        sync.Mutex
	running   bool
	nextID    int
	listeners map[int]*listener
}

// listener is one stream's end of the hub: a bounded queue of wake-ups and
// a channel closed when the queue overflowed or the subscription ended.
type listener struct {
	wakes    func(*message.Message) bool
	wake     chan struct{}
	overflow chan struct{}
}

func newHub(sub message.Subscriber, topic string) *hub {
	return &hub{sub: sub, topic: topic, listeners: map[int]*listener{}}
}

// join registers a listener, subscribing the hub first if it is not
// running. Once join returns, every message published later reaches the
// listener (or overflows it): callers read their backlog after join.
func (h *hub) join(wakes func(*message.Message) bool, queue int) (*listener, func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running {
		// The subscription lives as long as the subscriber: Close ends it.
		msgs, err := h.sub.Subscribe(context.Background(), h.topic)
		if err != nil {
			return nil, nil, err
		}
		h.running = true
		go h.run(msgs)
	}
	l := &listener{wakes: wakes, wake: make(chan struct{}, queue), overflow: make(chan struct{})}
	id := h.nextID
	h.nextID++
	h.listeners[id] = l
	leave := func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.listeners, id)
	}
	return l, leave, nil
}

func (h *hub) run(msgs <-chan *message.Message) {
	for m := range msgs {
		m.Ack()
		h.mu.Lock()
		for id, l := range h.listeners {
			if !l.wakes(m) {
				continue
			}
			select {
			case l.wake <- struct{}{}:
			default:
				// Too far behind: cut it off; it resumes with Last-Event-ID.
				close(l.overflow)
				delete(h.listeners, id)
			}
		}
		h.mu.Unlock()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, l := range h.listeners {
		close(l.overflow)
		delete(h.listeners, id)
	}
	h.running = false
}

// hubFor returns the server's hub of topic, making it on first use.
func (s *Server) hubFor(topic string) *hub {
	s.hubsMu.Lock()
	defer s.hubsMu.Unlock()
	h, ok := s.hubs[topic]
	if !ok {
		h = newHub(s.cfg.Subscriber, topic)
		s.hubs[topic] = h
	}
	return h
}
