package wire

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// yamux writes every frame with its own conn writes (a header, then a body)
// from one send loop: with many streams busy, that is a syscall or two per
// frame. batchConn queues small writes and a flusher sends everything queued
// in one write, so under load many frames share a syscall and when idle a
// frame leaves at once. Large writes (bulk bodies) are not copied: they wait
// for the queue to drain and go out directly. Writers block once maxPending
// bytes are queued, so a stuck peer still stalls yamux's sends (and trips
// its write timeout).
type batchConn struct {
	net.Conn
	w       io.Writer // where writes go: the TCP connection itself, for writev
	mu      sync.Mutex
	cond    *sync.Cond // queue drained, a write finished, or closing
	buf     []byte
	spare   []byte
	writing bool // a conn write (flusher's or a direct one) is under way
	err     error
	closing bool
	wake    chan struct{}
	done    chan struct{}
	once    sync.Once
}

const (
	maxPending  = 1 << 20
	directWrite = 32 << 10 // writes this large skip the queue
)

// Batch wraps the connection given to yamux.Server or yamux.Client.
func Batch(c net.Conn) net.Conn {
	b := &batchConn{Conn: c, w: c, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if bc, ok := c.(*BufferedConn); ok {
		b.w = bc.Conn // it buffers reads only
	}
	b.cond = sync.NewCond(&b.mu)
	go b.flusher()
	return b
}

var errBatchClosed = errors.New("connection closed")

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	if len(p) >= directWrite {
		return b.writeDirect(p)
	}
	for len(b.buf) >= maxPending && b.err == nil && !b.closing {
		b.cond.Wait()
	}
	if err := b.failedLocked(); err != nil {
		b.mu.Unlock()
		return 0, err
	}
	b.buf = append(b.buf, p...)
	b.mu.Unlock()
	b.signal()
	return len(p), nil
}

// writeDirect writes p itself, after anything queued before it, in the same
// system call (writev): a bulk frame's body goes out with its header, without
// a trip through the flusher. b.mu is held on entry and released.
func (b *batchConn) writeDirect(p []byte) (int, error) {
	for b.writing && b.err == nil && !b.closing {
		b.cond.Wait()
	}
	if err := b.failedLocked(); err != nil {
		b.mu.Unlock()
		return 0, err
	}
	out := b.buf
	b.buf, b.spare = b.spare[:0], nil
	b.writing = true
	b.mu.Unlock()
	var n int
	var err error
	if len(out) == 0 {
		n, err = b.w.Write(p)
	} else {
		bufs := net.Buffers{out, p}
		var m int64
		m, err = bufs.WriteTo(b.w)
		n = max(0, int(m)-len(out))
	}
	b.mu.Lock()
	b.writing = false
	if out != nil && cap(out) <= 4*maxPending {
		b.spare = out[:0]
	}
	if err != nil && b.err == nil {
		b.err = err
	}
	b.cond.Broadcast()
	b.mu.Unlock()
	return n, err
}

func (b *batchConn) failedLocked() error {
	if b.err != nil {
		return b.err
	}
	if b.closing {
		return errBatchClosed
	}
	return nil
}

func (b *batchConn) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *batchConn) flusher() {
	defer close(b.done)
	for range b.wake {
		for {
			b.mu.Lock()
			for b.writing && len(b.buf) > 0 {
				b.cond.Wait() // a direct write is under way
			}
			if len(b.buf) == 0 {
				closing := b.closing
				b.mu.Unlock()
				if closing {
					return
				}
				break
			}
			// Swap buffers: writers fill the spare while out is written.
			out := b.buf
			b.buf, b.spare = b.spare[:0], nil
			b.writing = true
			b.mu.Unlock()
			_, err := b.w.Write(out)
			b.mu.Lock()
			b.writing = false
			if cap(out) <= 4*maxPending {
				b.spare = out[:0]
			}
			if err != nil && b.err == nil {
				b.err = err
			}
			b.cond.Broadcast()
			b.mu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

// Close flushes what is queued (for at most a second) and closes the conn.
func (b *batchConn) Close() error {
	b.once.Do(func() {
		b.mu.Lock()
		b.closing = true
		b.cond.Broadcast()
		b.mu.Unlock()
		_ = b.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		b.signal()
		select {
		case <-b.done:
		case <-time.After(2 * time.Second):
		}
	})
	return b.Conn.Close()
}
