package cli

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// printerQueue bounds the lines waiting for stdout: about a screenful of
// bursts; past it, lines are dropped rather than waited for.
const printerQueue = 1024

// printer writes the agent's output from one goroutine of its own through a
// bounded queue, so that nothing the agent does — reading its control
// stream, handling a signal, shutting down — ever waits on stdout. When
// stdout blocks (`warren http 3000 | less`, paused), lines that do not fit
// are dropped and counted; the count is reported when stdout takes lines
// again, and on stderr at close.
type printer struct {
	out, errOut io.Writer
	lines       chan string
	dropped     atomic.Int64 // since the last report
	total       atomic.Int64 // over the printer's life
	done        chan struct{}
	closeOnce   sync.Once
}

// newPrinter starts the goroutine that writes to out; errOut hears the
// dropped-lines summary at close. Call close.
func newPrinter(out, errOut io.Writer) *printer {
	p := &printer{out: out, errOut: errOut, lines: make(chan string, printerQueue), done: make(chan struct{})}
	go p.run()
	return p
}

// printf queues a line (format should end in "\n") and never blocks: with
// the queue full it drops the line and counts it.
func (p *printer) printf(format string, args ...any) {
	select {
	case p.lines <- fmt.Sprintf(format, args...):
	default:
		p.dropped.Add(1)
		p.total.Add(1)
	}
}

func (p *printer) run() {
	defer close(p.done)
	for s := range p.lines {
		if n := p.dropped.Swap(0); n > 0 {
			fmt.Fprintf(p.out, "(%d line%s dropped: output was blocked)\n", n, plural(int(n)))
		}
		io.WriteString(p.out, s)
	}
}

// close stops taking lines and gives the queued ones at most grace to be
// written. It never waits longer on out: if out is still blocked, the
// writer goroutine is abandoned to the process exit (a write to a stuck
// pipe cannot be cancelled). It reports dropped lines on errOut.
func (p *printer) close(grace time.Duration) {
	p.closeOnce.Do(func() {
		close(p.lines)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
			// What was still queued is lost with the process.
			p.total.Add(int64(len(p.lines)))
		}
		if n := p.total.Load(); n > 0 {
			fmt.Fprintf(p.errOut, "warren: %d output line%s dropped: stdout was blocked\n", n, plural(int(n)))
		}
	})
}
