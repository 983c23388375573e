package events_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/events"
)

func TestOpen_Locked(t *testing.T) {
	_, path := openLog(t, events.Options{})
	// The default lock timeout (2 s) applies: the open fails, never hangs.
	l2, err := events.Open(path, events.Options{})
	if err == nil {
		l2.Close()
		t.Fatal("opened a file held by another log")
	}
	if !strings.Contains(err.Error(), "in use by another process") || !strings.Contains(err.Error(), path) {
		t.Fatalf("unclear error: %v", err)
	}
}

func TestLog_Close(t *testing.T) {
	t.Run("DrainsQueued", func(t *testing.T) {
		l, path := openLog(t, events.Options{})
		const n = 300
		var wg sync.WaitGroup
		var mu sync.Mutex
		var acked []ulid.ULID
		var closedErrs int
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				evs, err := l.Append(context.Background(), reservation("acc_c", fmt.Sprint("c", i)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					acked = append(acked, evs[0].ID)
				case domain.ErrorCode(err) == domain.CodeUnavailable:
					closedErrs++
				default:
					t.Errorf("append %d: %v", i, err)
				}
			}(i)
		}
		// A command holding the writer: Close must wait for it and for the
		// appends that queued behind it.
		hold, held := make(chan struct{}), make(chan struct{})
		var holdEvs []events.Event
		var holdErr error
		holdDone := make(chan struct{})
		go func() {
			defer close(holdDone)
			holdEvs, holdErr = l.Execute(context.Background(), func(*events.Tx) ([]events.Draft, error) {
				close(held)
				<-hold
				return []events.Draft{reservation("acc_c", "held")}, nil
			})
		}()
		<-held
		close(start)
		time.Sleep(50 * time.Millisecond) // let appenders queue; the checks hold either way
		closed := make(chan error)
		go func() { closed <- l.Close() }()
		time.Sleep(20 * time.Millisecond)
		close(hold)
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		<-holdDone
		if holdErr != nil || len(holdEvs) != 1 {
			t.Fatalf("in-flight command: %v %v", holdEvs, holdErr)
		}
		acked = append(acked, holdEvs[0].ID)
		if len(acked)+closedErrs != n+1 {
			t.Fatalf("%d acked + %d closed != %d", len(acked), closedErrs, n)
		}
		l2 := mustOpen(t, path, events.Options{ReadOnly: true})
		for _, id := range acked {
			if _, ok, err := l2.Get(id); !ok || err != nil {
				t.Fatalf("acknowledged %s missing after Close: %v", id, err)
			}
		}
		if h, err := l2.Verify(nil); err != nil || h.Count != uint64(len(acked)) {
			t.Fatalf("verify %+v %v, acked %d", h, err, len(acked))
		}
		t.Logf("%d acknowledged, %d refused as closed", len(acked), closedErrs)
	})
	t.Run("Twice", func(t *testing.T) {
		l, _ := openLog(t, events.Options{})
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l.Close()
	})
}
