package events_test

import (
	"context"
	"testing"

	"warren/domain"
	"warren/events"
)

// TestBatchOfFailedAppendsDoesNotFsync: a batch in which no request wrote an
// event (every command refused, or decided nothing) commits nothing, so it
// costs no page write and no fsync.
func TestBatchOfFailedAppendsDoesNotFsync(t *testing.T) {
	l, _ := openLog(t, events.Options{})
	mustAppend(t, l, reservation("acc_f", "first"))
	writes := func() int64 { s := l.DB().Stats(); return s.TxStats.GetWrite() }
	t.Run("Refused", func(t *testing.T) {
		before := writes()
		_, err := l.Execute(context.Background(), func(*events.Tx) ([]events.Draft, error) {
			return nil, domain.Errorf(domain.CodeConflict, "taken")
		})
		if domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("command error lost: %v", err)
		}
		if n := writes() - before; n != 0 {
			t.Fatalf("a batch that appended nothing wrote %d pages", n)
		}
	})
	t.Run("NothingDecided", func(t *testing.T) {
		before := writes()
		evs, err := l.Execute(context.Background(), func(*events.Tx) ([]events.Draft, error) { return nil, nil })
		if err != nil || len(evs) != 0 {
			t.Fatalf("empty command: %v %v", evs, err)
		}
		if n := writes() - before; n != 0 {
			t.Fatalf("a batch that appended nothing wrote %d pages", n)
		}
	})
	t.Run("NextAppendCommits", func(t *testing.T) {
		before := writes()
		evs := mustAppend(t, l, reservation("acc_f", "second"))
		if n := writes() - before; n == 0 {
			t.Fatal("an append wrote no page")
		}
		if h, err := l.Head(); err != nil || h.ID != evs[0].ID || h.Count != 2 {
			t.Fatalf("head %+v %v", h, err)
		}
	})
}
