package agent

import (
	"sync"
	"sync/atomic"

	"warren/edge/wire"
)

// defaultQueuedLines bounds the request lines waiting for OnRequest or
// OnRequests (Options.MaxQueuedLines); more are dropped and counted
// (DroppedLines).
const defaultQueuedLines = 4096

// lineQueue hands request lines from the control stream's read loop to the
// caller's callbacks on a goroutine of the Client's own, so a callback that
// blocks (a CLI whose stdout is a pipe nobody reads: `warren http 3000 |
// less`) never stops the read loop: heartbeats and control replies keep
// flowing, and lines that do not fit are dropped and counted.
type lineQueue struct {
	max     int
	mu      sync.Mutex
	lines   []wire.RequestLine
	wake    chan struct{}
	dropped atomic.Uint64
	done    chan struct{} // closed when deliver returns
}

func newLineQueue(max int) *lineQueue {
	return &lineQueue{max: max, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// put queues lines without ever blocking.
func (q *lineQueue) put(lines []wire.RequestLine) {
	q.mu.Lock()
	room := q.max - len(q.lines)
	if room < len(lines) {
		q.dropped.Add(uint64(len(lines) - max(room, 0)))
		lines = lines[:max(room, 0)]
	}
	q.lines = append(q.lines, lines...)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// deliver calls the callbacks with what is queued until stop is closed.
func (q *lineQueue) deliver(stop <-chan struct{}, one func(wire.RequestLine), many func([]wire.RequestLine)) {
	defer close(q.done)
	for {
		select {
		case <-q.wake:
		case <-stop:
			return
		}
		q.mu.Lock()
		batch := q.lines
		q.lines = nil
		q.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		if many != nil {
			many(batch)
			continue
		}
		for _, l := range batch {
			select {
			case <-stop:
				return
			default:
			}
			one(l)
		}
	}
}

// DroppedLines is how many request lines were dropped because the
// callbacks did not keep up (Options.MaxQueuedLines).
func (c *Client) DroppedLines() uint64 { return c.lines.dropped.Load() }
