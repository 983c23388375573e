package edge

import (
	"sync"
	"time"

	"warren/domain"
	"warren/edge/wire"
)

// outbox is what a session has to say to its agent. Every goroutine of the
// server queues here and returns at once; one writer goroutine per session
// (session.writer) is the only one that ever waits on the agent, and only
// until Config.AgentWriteTimeout: an agent that does not drain its control
// stream by then, or lets maxQueuedMsgs replies pile up, is cut off.
type outbox struct {
	mu         sync.Mutex
	msgs       []wire.Msg // replies and close notices, in order
	heartbeats int        // heartbeat answers owed
	overflow   bool       // msgs hit maxQueuedMsgs: the agent is not reading
	// Request lines, best-effort. A slice, not a buffered channel: a commit
	// notifies hundreds at once, and a channel that large would be
	// allocated for each of a thousand idle sessions.
	lines []wire.RequestLine
	spare []wire.RequestLine
	wake  chan struct{}
}

const (
	// maxQueuedMsgs bounds the replies waiting for an agent; one more cuts
	// it off (a reading agent never has more than a handful waiting).
	maxQueuedMsgs = 1024
	// maxQueuedLines bounds the request lines waiting; more are dropped.
	maxQueuedLines = 4096
	// closeGrace bounds the last flush when a session ends (shutdown,
	// revocation): a reading agent is told why in well under it, a stuck
	// one is not waited on for longer.
	closeGrace = 250 * time.Millisecond
)

func newOutbox() outbox { return outbox{wake: make(chan struct{}, 1)} }

func (o *outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// push queues m; false when the queue is full (the caller cuts the agent off).
func (o *outbox) push(m wire.Msg) bool {
	o.mu.Lock()
	ok := len(o.msgs) < maxQueuedMsgs
	if ok {
		o.msgs = append(o.msgs, m)
	} else {
		o.overflow = true
	}
	o.mu.Unlock()
	o.signal()
	return ok
}

// oweHeartbeat records that a heartbeat answer is due. Each is answered
// (a count, not a queue): an agent that sends heartbeats and never reads
// fills its window with answers and is cut off, as any agent not reading.
func (o *outbox) oweHeartbeat() {
	o.mu.Lock()
	o.heartbeats++
	o.mu.Unlock()
	o.signal()
}

// pushLine queues a request line, dropping it when maxQueuedLines wait.
func (o *outbox) pushLine(l wire.RequestLine) {
	o.mu.Lock()
	if len(o.lines) < maxQueuedLines {
		o.lines = append(o.lines, l)
	}
	o.mu.Unlock()
	o.signal()
}

// take empties the outbox into what the writer sends now.
// At most maxHeartbeatsPerFlush answers go at once; the rest wait a round.
func (o *outbox) take() (msgs []wire.Msg, heartbeats int, lines []wire.RequestLine, overflow bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	msgs, o.msgs = o.msgs, nil
	heartbeats = min(o.heartbeats, maxHeartbeatsPerFlush)
	o.heartbeats -= heartbeats
	if o.heartbeats > 0 {
		o.signal()
	}
	lines, o.lines = o.lines, o.spare[:0]
	o.spare = nil
	return msgs, heartbeats, lines, o.overflow
}

// recycle hands back the lines array once written: it can take the next
// ones, unless a burst made it large (a thousand sessions would keep it).
func (o *outbox) recycle(lines []wire.RequestLine) {
	if cap(lines) > linesPerMsg {
		return
	}
	o.mu.Lock()
	if o.spare == nil {
		o.spare = lines[:0]
	}
	o.mu.Unlock()
}

const (
	linesPerMsg           = 256
	maxHeartbeatsPerFlush = 1024
)

// writer is the session's one writer to its agent. It returns when the
// session stops (after a last flush bounded by closeGrace) or when the agent
// fails to drain within the write timeout, which cuts the session off.
func (ss *session) writer() {
	defer close(ss.writerDone)
	timeout := ss.srv.cfg.AgentWriteTimeout
	for {
		stopping := false
		select {
		case <-ss.out.wake:
		case <-ss.stopping:
			stopping = true
		}
		d := timeout
		if stopping {
			d = min(timeout, closeGrace)
		}
		if err := ss.flush(d); err != nil {
			if !stopping {
				ss.srv.cfg.Logger.Warn("agent cut off: it does not drain its control stream",
					"session", ss.id, "account", ss.accountID, "timeout", timeout, "err", err)
			}
			ss.mux.Close() // the read loop ends and closes the session (agent_gone)
			return
		}
		if stopping {
			return
		}
	}
}

// flush writes everything queued, all of it within d.
func (ss *session) flush(d time.Duration) error {
	msgs, heartbeats, lines, overflow := ss.out.take()
	if overflow {
		return domain.Errorf(domain.CodeUnavailable, "more than %d control messages unread", maxQueuedMsgs)
	}
	if len(msgs) == 0 && heartbeats == 0 && len(lines) == 0 {
		return nil
	}
	if err := ss.ctl.SetWriteDeadline(time.Now().Add(d)); err != nil {
		return err
	}
	for range heartbeats {
		msgs = append(msgs, wire.Msg{Type: wire.TypeHeartbeat})
	}
	if err := ss.ctl.WriteAll(msgs); err != nil {
		return err
	}
	if err := ss.writeLines(lines); err != nil {
		return err
	}
	ss.out.recycle(lines)
	return nil
}

// writeLines sends request lines as few messages: under load they arrive a
// commit's worth at a time, and one write (and one print at the agent)
// beats one per request.
func (ss *session) writeLines(batch []wire.RequestLine) error {
	for len(batch) > 0 {
		// Well under the control stream's 64 KiB per message (paths in
		// lines are cut at 1 KiB, see requestLine).
		n, size := 0, 0
		for n < len(batch) && n < linesPerMsg && size < 32<<10 {
			l := &batch[n]
			size += 160 + len(l.ID) + len(l.Tunnel) + len(l.Kind) + len(l.Method) + 2*len(l.Path) + len(l.Error)
			n++
		}
		m := wire.Msg{Type: wire.TypeRequests, Requests: batch[:n]}
		if n == 1 {
			m = wire.Msg{Type: wire.TypeRequest, Request: &batch[0]}
		}
		if err := ss.ctl.Write(m); err != nil {
			return err
		}
		batch = batch[n:]
	}
	return nil
}
