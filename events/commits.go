package events

// What the log tells others about its commits: a wake-up after each one
// (for the relay) and whether they succeed (for /readyz).

// onCommit returns a channel that receives (without the writer ever
// blocking) after each commit that appended events, and a function that
// stops it.
func (l *Log) onCommit() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	l.waitersMu.Lock()
	defer l.waitersMu.Unlock()
	var next []chan struct{}
	if cur := l.waiters.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, ch)
	l.waiters.Store(&next)
	return ch, func() {
		l.waitersMu.Lock()
		defer l.waitersMu.Unlock()
		var rest []chan struct{}
		for _, c := range *l.waiters.Load() {
			if c != ch {
				rest = append(rest, c)
			}
		}
		l.waiters.Store(&rest)
	}
}

// notifyCommit wakes every onCommit channel; one already full needs no more.
func (l *Log) notifyCommit() {
	if ws := l.waiters.Load(); ws != nil {
		for _, ch := range *ws {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

// Writable is nil while commits succeed. After a commit failed in the
// storage (a full disk, an I/O error) it returns a CodeUnavailable error
// wrapping that failure, until the next commit succeeds. A command's refusal
// or a bad request is not a write failure. /readyz and the edge read it to
// stop taking traffic that could not be captured.
func (l *Log) Writable() error {
	if p := l.writeErr.Load(); p != nil {
		return p
	}
	return nil
}
