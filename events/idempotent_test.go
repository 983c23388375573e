package events_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"

	"github.com/oklog/ulid/v2"

	"warren/events"
)

func capturedDraft(body string) events.Draft {
	return events.Draft{
		Type: events.RequestCaptured, Account: "acc_once",
		Data:   json.RawMessage(`{"tunnelId":"tun_once","kind":"http"}`),
		Bodies: [][]byte{[]byte(body)},
	}
}

func countEvents(t *testing.T, l *events.Log) uint64 {
	t.Helper()
	h, err := l.Head()
	if err != nil {
		t.Fatal(err)
	}
	return h.Count
}

// TestAppendOnce: the same key appended twice, concurrently, and again
// after the log is reopened, is one event in the log; the chain stays
// intact (logtest checks it at cleanup).
func TestAppendOnce(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "warren.db")
		l := mustOpen(t, path, events.Options{})
		key := ulid.MustNew(ulid.Now(), rand.Reader)
		first, appended, err := l.AppendOnce(context.Background(), key, capturedDraft("hello"))
		if err != nil || !appended {
			t.Fatalf("first append: appended=%v err=%v", appended, err)
		}
		again, appended, err := l.AppendOnce(context.Background(), key, capturedDraft("hello"))
		if err != nil || appended {
			t.Fatalf("second append: appended=%v err=%v, want a no-op", appended, err)
		}
		if again.ID != first.ID {
			t.Fatalf("duplicate returned %s, want the stored %s", again.ID, first.ID)
		}
		if n := countEvents(t, l); n != 1 {
			t.Fatalf("%d events after two appends of one key, want 1", n)
		}
		l.Close()

		l = mustOpen(t, path, events.Options{})
		if _, appended, err := l.AppendOnce(context.Background(), key, capturedDraft("hello")); err != nil || appended {
			t.Fatalf("after reopen: appended=%v err=%v, want a no-op", appended, err)
		}
		if _, appended, err := l.AppendOnce(context.Background(), ulid.MustNew(ulid.Now(), rand.Reader), capturedDraft("other")); err != nil || !appended {
			t.Fatalf("another key: appended=%v err=%v", appended, err)
		}
		if n := countEvents(t, l); n != 2 {
			t.Fatalf("%d events, want 2", n)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		l, _ := openLog(t, events.Options{})
		keys := make([]ulid.ULID, 20)
		for i := range keys {
			keys[i] = ulid.MustNew(ulid.Now(), rand.Reader)
		}
		// Each key appended by 5 goroutines at once: most land in one batch,
		// where the second sees the first's key inside the transaction.
		var wg sync.WaitGroup
		var mu sync.Mutex
		appendedBy := map[ulid.ULID]int{}
		for range 5 {
			for _, k := range keys {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, appended, err := l.AppendOnce(context.Background(), k, capturedDraft("x"))
					if err != nil {
						t.Error(err)
						return
					}
					if appended {
						mu.Lock()
						appendedBy[k]++
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		for _, k := range keys {
			if appendedBy[k] != 1 {
				t.Fatalf("key %s appended %d times, want 1", k, appendedBy[k])
			}
		}
		if n := countEvents(t, l); n != uint64(len(keys)) {
			t.Fatalf("%d events for %d keys", n, len(keys))
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		l, _ := openLog(t, events.Options{})
		if _, _, err := l.AppendOnce(context.Background(), ulid.ULID{}, capturedDraft("x")); err == nil {
			t.Fatal("a zero key was accepted")
		}
	})
}
