package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/events"
)

// sseItem is one event of a stream: its id (a log ULID), name and JSON data.
type sseItem struct {
	ID    ulid.ULID
	Event string
	Data  []byte
}

// sseSource is what a stream serves; the loop in serveSSE is shared by
// every stream (requests now, the account's event stream later).
type sseSource struct {
	// Topic is the watermill topic whose messages wake the stream.
	Topic string
	// Wakes filters messages cheaply (by metadata) before they count.
	Wakes func(m *message.Message) bool
	// After reads up to limit items with ids greater than after, oldest
	// first, from the log or an index: the truth and the order.
	After func(after ulid.ULID, limit int) ([]sseItem, error)
	// Newest is the cursor of a stream started without Last-Event-ID: the
	// newest existing id, so only later items are sent.
	Newest func() (ulid.ULID, error)
}

// sseBatch bounds one read of the log between writes.
const sseBatch = 256

// parseLastEventID reads Last-Event-ID: "<ULID>" or "<prefix>_<ULID>" (the
// request streams' data ids are req_…); ok=false when absent.
func parseLastEventID(r *http.Request) (ulid.ULID, bool, error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		return ulid.ULID{}, false, nil
	}
	_, bare, _ := strings.Cut(v, "_")
	if !strings.Contains(v, "_") {
		bare = v
	}
	id, err := ulid.ParseStrict(bare)
	if err != nil {
		return id, false, domain.Errorf(domain.CodeInvalid, "Last-Event-ID %q is not an id this stream sent", v)
	}
	return id, true, nil
}

// serveSSE streams src to the client authenticated by c. It joins the topic's hub FIRST, then
// reads the backlog past the cursor, so nothing committed in between is missed.
// Messages are acked at once and used only as wake-ups in a bounded queue;
// the items sent always come from src.After past the last id sent, so the
// client sees ULID order whatever order GoChannel delivers in, and never a
// duplicate. A client too slow to drain its queue is disconnected (it
// resumes with Last-Event-ID) instead of holding up the publisher. The
// stream lives no longer than c's key: it ends as soon as key.revoked for
// it is published (see keyWatch).
func (s *Server) serveSSE(w http.ResponseWriter, r *http.Request, c *call, src sseSource) error {
	last, resumed, err := parseLastEventID(r)
	if err != nil {
		return err
	}
	// Ids are times: one from the future would hold back every item until
	// then (for 7ZZZ…, forever), so it cannot be a cursor this stream gave.
	if resumed && last.Time() > ulid.Timestamp(s.now())+uint64(time.Minute/time.Millisecond) {
		return domain.Errorf(domain.CodeInvalid, "Last-Event-ID %q is from the future: resume with an id this stream sent", r.Header.Get("Last-Event-ID"))
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		return domain.Errorf(domain.CodeInternal, "response writer cannot flush")
	}
	l, leave, err := s.hubFor(src.Topic).join(src.Wakes, s.cfg.StreamQueue)
	if err != nil {
		return domain.Errorf(domain.CodeUnavailable, "subscribing to %s: %v", src.Topic, err)
	}
	defer leave()
	s.streams.Add(1)
	defer s.streams.Add(-1)
	kw, err := s.watchKey(c)
	if err != nil {
		return err
	}
	defer kw.stop()
	if !resumed {
		if last, err = src.Newest(); err != nil {
			return err
		}
	}
	ctx := r.Context()

	// An SSE response has no end; the server's write timeout must not cut it.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fl.Flush()

	beat := time.NewTicker(s.cfg.Heartbeat)
	defer beat.Stop()
	for {
		// Send everything past last, in batches, before waiting again.
		for {
			// Wake-ups so far are served by this read: drop them, so a long
			// backlog does not count as falling behind.
			drain(l.wake)
			items, err := src.After(last, sseBatch)
			if err != nil {
				s.logger.Error("httpapi: sse read", "err", err)
				return nil
			}
			for _, it := range items {
				if _, err := fmt.Fprintf(w, "event: %s\nid: %s\ndata: %s\n\n", it.Event, it.ID, it.Data); err != nil {
					return nil
				}
				last = it.ID
			}
			fl.Flush()
			if len(items) < sseBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-l.overflow:
			return nil // the client reconnects with Last-Event-ID
		case <-kw.ended:
			return nil // the key was revoked: a reconnect gets a 401
		case <-kw.wake:
			if kw.revoked() {
				return nil
			}
		case <-l.wake:
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return nil
			}
			fl.Flush()
		}
	}
}

// drain empties the wake-up queue: one read of the log serves them all.
func drain(c <-chan struct{}) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// accountWakes matches messages of one account.
func accountWakes(accountID string) func(*message.Message) bool {
	return func(m *message.Message) bool { return m.Metadata.Get(events.MetaAccount) == accountID }
}
