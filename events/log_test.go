package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

func TestLog_Append(t *testing.T) {
	t.Run("ConcurrentIDsIncrease", func(t *testing.T) {
		l, _ := openLog(t, events.Options{})
		const workers, each = 64, 50
		got := make([][]ulid.ULID, workers)
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					evs, err := l.Append(context.Background(), reservation(fmt.Sprintf("acc_%d", w), fmt.Sprintf("s-%d-%d", w, i)))
					if err != nil {
						errs <- err
						return
					}
					got[w] = append(got[w], evs[0].ID)
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		all := map[ulid.ULID]bool{}
		for w, ids := range got {
			for i, id := range ids {
				if i > 0 && id.Compare(ids[i-1]) <= 0 {
					t.Fatalf("worker %d: id %s not after its previous %s", w, id, ids[i-1])
				}
				if all[id] {
					t.Fatalf("id %s returned twice", id)
				}
				all[id] = true
			}
		}
		if len(all) != workers*each {
			t.Fatalf("%d ids, want %d", len(all), workers*each)
		}
		// Read back: key order is id order and every returned id is there.
		var prev ulid.ULID
		n := 0
		err := l.ReadFrom(ulid.ULID{}, func(ev events.Event) error {
			if n > 0 && ev.ID.Compare(prev) <= 0 {
				return fmt.Errorf("event %s read after %s", ev.ID, prev)
			}
			if !all[ev.ID] {
				return fmt.Errorf("unknown event %s in the log", ev.ID)
			}
			prev = ev.ID
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != workers*each {
			t.Fatalf("read %d events, want %d", n, workers*each)
		}
		h, err := l.Verify(nil)
		if err != nil {
			t.Fatal(err)
		}
		if h.Count != workers*each || h.ID != prev {
			t.Fatalf("head %+v, want count %d id %s", h, workers*each, prev)
		}
	})
	t.Run("SmallMaxBatch", func(t *testing.T) {
		l, _ := openLog(t, events.Options{MaxBatch: 2})
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for w := 0; w < 40; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					if _, err := l.Append(context.Background(), reservation("acc_m", fmt.Sprint(w, "-", i))); err != nil {
						errs <- err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if h, err := l.Verify(nil); err != nil || h.Count != 400 {
			t.Fatalf("verify %+v %v", h, err)
		}
	})
	t.Run("StoredAsReturned", func(t *testing.T) {
		at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
		l, _ := openLog(t, events.Options{Now: func() time.Time { return at }})
		evs := mustAppend(t, l, reservation("acc_a", "one"),
			events.Draft{Type: events.KeyRevoked, Account: "acc_a", Data: events.KeyRevokedData{KeyID: "key_1"}, At: at.Add(-time.Hour)})
		if len(evs) != 2 || evs[0].ID.Compare(evs[1].ID) >= 0 {
			t.Fatalf("events %+v", evs)
		}
		if !evs[0].At.Equal(at) || !evs[1].At.Equal(at.Add(-time.Hour)) || evs[0].Version != events.CurrentVersion(evs[0].Type) {
			t.Fatalf("stamps: %v %v v%d", evs[0].At, evs[1].At, evs[0].Version)
		}
		if evs[0].Prev != ([32]byte{}) {
			t.Fatal("first event has a prev hash")
		}
		for _, want := range evs {
			got, ok, err := l.Get(want.ID)
			if err != nil || !ok {
				t.Fatalf("Get(%s) = %v, %v", want.ID, ok, err)
			}
			if got.Type != want.Type || got.Account != want.Account || string(got.Data) != string(want.Data) || got.Prev != want.Prev {
				t.Fatalf("stored %+v, returned %+v", got, want)
			}
		}
	})
	t.Run("RawJSONData", func(t *testing.T) {
		l, _ := openLog(t, events.Options{})
		evs := mustAppend(t, l, events.Draft{Type: events.BodiesPruned, Data: jsonRaw(`{"count":3}`)})
		if !strings.Contains(string(evs[0].Data), `"count":3`) {
			t.Fatalf("data = %s", evs[0].Data)
		}
		if _, err := l.Append(context.Background(), events.Draft{Type: events.BodiesPruned, Data: jsonRaw(`{nope`)}); err == nil {
			t.Fatal("appended invalid raw JSON")
		}
		mustAppend(t, l, reservation("acc_a", "after-error"))
		if _, err := l.Verify(nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrClosed", func(t *testing.T) {
		l, _ := openLog(t, events.Options{})
		mustAppend(t, l, reservation("acc_a", "x1"))
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		// Repeat: a racy select between the queue and the stop channel would
		// sometimes enqueue and hang.
		for i := 0; i < 200; i++ {
			_, err := l.Append(context.Background(), reservation("acc_a", "x2"))
			if domain.ErrorCode(err) != domain.CodeUnavailable {
				t.Fatalf("append after Close: %v, want unavailable", err)
			}
		}
	})
	t.Run("ErrReadOnly", func(t *testing.T) {
		l, path := openLog(t, events.Options{})
		mustAppend(t, l, reservation("acc_a", "ro"))
		l.Close()
		ro := mustOpen(t, path, events.Options{ReadOnly: true})
		if _, err := ro.Append(context.Background(), reservation("acc_a", "no")); domain.ErrorCode(err) != domain.CodeUnavailable {
			t.Fatalf("append to read-only log: %v", err)
		}
		if h, err := ro.Verify(nil); err != nil || h.Count != 1 {
			t.Fatalf("read-only verify: %+v %v", h, err)
		}
	})
}

func TestLog_ExecuteCanceled(t *testing.T) {
	l, _ := openLog(t, events.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	_, err := l.Execute(ctx, func(*events.Tx) ([]events.Draft, error) { ran = true; return nil, nil })
	// Either refused before queueing (context error) or run to completion:
	// never queued and then abandoned.
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if err != nil && ran {
		t.Fatal("command ran but Execute reported cancellation")
	}
	mustAppend(t, l, reservation("acc_a", "after-cancel"))
}

func jsonRaw(s string) json.RawMessage { return json.RawMessage(s) }

func TestLog_Execute(t *testing.T) {
	t.Run("ErrDomainAppendsNothing", func(t *testing.T) {
		l, _ := openLog(t, events.Options{Applier: counterApplier{}})
		mustAppend(t, l, reservation("acc_a", "first"))
		before, _ := l.Head()
		evs, err := l.Execute(context.Background(), func(tx *events.Tx) ([]events.Draft, error) {
			return []events.Draft{reservation("acc_a", "never")}, domain.Errorf(domain.CodeConflict, "taken")
		})
		if domain.ErrorCode(err) != domain.CodeConflict || evs != nil {
			t.Fatalf("Execute = %v, %v; want conflict and no events", evs, err)
		}
		after, _ := l.Head()
		if after != before {
			t.Fatalf("head moved from %+v to %+v", before, after)
		}
		l.DB().View(func(tx *bolt.Tx) error {
			if n := counterGet(tx, string(events.ReservationCreated)); n != 1 {
				t.Fatalf("projection saw %d events, want 1", n)
			}
			return nil
		})
	})
	t.Run("NoDrafts", func(t *testing.T) {
		l, _ := openLog(t, events.Options{})
		evs, err := l.Execute(context.Background(), func(*events.Tx) ([]events.Draft, error) { return nil, nil })
		if err != nil || len(evs) != 0 {
			t.Fatalf("Execute = %v, %v", evs, err)
		}
		if h, _ := l.Head(); h.Count != 0 {
			t.Fatalf("head count %d", h.Count)
		}
	})
	t.Run("BatchSeesEarlierWrites", func(t *testing.T) {
		l, _ := openLog(t, events.Options{Applier: counterApplier{}})
		// The first command holds the writer so the others queue up and
		// share the next transaction.
		hold, held := make(chan struct{}), make(chan struct{})
		go l.Execute(context.Background(), func(*events.Tx) ([]events.Draft, error) {
			close(held)
			<-hold
			return nil, nil
		})
		<-held
		const racers = 100
		claim := func(tx *events.Tx) ([]events.Draft, error) {
			if counterGet(tx.Tx, string(events.ReservationCreated)) > 0 {
				return nil, domain.Errorf(domain.CodeConflict, "already reserved")
			}
			return []events.Draft{reservation("acc_a", "same")}, nil
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[domain.Code]int{}
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := l.Execute(context.Background(), claim)
				mu.Lock()
				codes[domain.ErrorCode(err)]++
				mu.Unlock()
			}()
		}
		time.Sleep(100 * time.Millisecond) // let racers queue; the result holds either way
		close(hold)
		wg.Wait()
		if codes[""] != 1 || codes[domain.CodeConflict] != racers-1 {
			t.Fatalf("outcomes %v, want exactly one winner", codes)
		}
		if h, _ := l.Head(); h.Count != 1 {
			t.Fatalf("log holds %d events, want 1", h.Count)
		}
	})
	t.Run("TxIDsIncrease", func(t *testing.T) {
		l, _ := openLog(t, events.Options{})
		var ids []ulid.ULID
		evs, err := l.Execute(context.Background(), func(tx *events.Tx) ([]events.Draft, error) {
			ids = append(ids[:0], tx.NewID(), tx.NewID())
			if tx.Now().IsZero() {
				return nil, errors.New("zero now")
			}
			return []events.Draft{reservation("acc_a", "n")}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if ids[0].Compare(ids[1]) >= 0 || ids[1].Compare(evs[0].ID) >= 0 {
			t.Fatalf("ids %s %s then event %s not increasing", ids[0], ids[1], evs[0].ID)
		}
	})
	t.Run("PanicFailsOnlyItself", func(t *testing.T) {
		l, _ := openLog(t, events.Options{})
		var wg sync.WaitGroup
		var ok, panicked int
		var mu sync.Mutex
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := l.Execute(context.Background(), func(*events.Tx) ([]events.Draft, error) {
					if i%5 == 0 {
						panic("boom")
					}
					return []events.Draft{reservation("acc_a", fmt.Sprint("p", i))}, nil
				})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else if domain.ErrorCode(err) == domain.CodeInternal {
					panicked++
				}
			}(i)
		}
		wg.Wait()
		if ok != 16 || panicked != 4 {
			t.Fatalf("ok %d panicked %d, want 16 and 4", ok, panicked)
		}
		if h, err := l.Verify(nil); err != nil || h.Count != 16 {
			t.Fatalf("verify %+v %v", h, err)
		}
	})
	t.Run("ErrApplierFailsOnlyItsRequest", func(t *testing.T) {
		l, _ := openLog(t, events.Options{Applier: failingApplier{}})
		var wg sync.WaitGroup
		results := make([]error, 30)
		for i := range results {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				acc := "acc_good"
				if i%3 == 0 {
					acc = "acc_bad"
				}
				_, results[i] = l.Append(context.Background(), reservation(acc, fmt.Sprint("a", i)))
			}(i)
		}
		wg.Wait()
		for i, err := range results {
			if (i%3 == 0) != (err != nil) {
				t.Fatalf("append %d: err %v", i, err)
			}
		}
		if h, err := l.Verify(nil); err != nil || h.Count != 20 {
			t.Fatalf("verify %+v %v", h, err)
		}
	})
}

// failingApplier refuses events of account acc_bad.
type failingApplier struct{}

func (failingApplier) Init(*bolt.Tx) error { return nil }

func (failingApplier) Apply(_ *bolt.Tx, evs []events.Event) error {
	for _, ev := range evs {
		if ev.Account == "acc_bad" {
			return errors.New("bad account")
		}
	}
	return nil
}
