package httpapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

// getBackup downloads the operator backup to a file in dir/warren.db.
func (e *testEnv) getBackup(t *testing.T, key, dir string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("backup: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	path := filepath.Join(dir, "warren.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(f, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if cl, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); cl != n {
		t.Fatalf("got %d bytes, Content-Length %d", n, cl)
	}
	return path
}

func TestBackup_Get(t *testing.T) {
	e := mustEnv(t)
	a, ka := e.account(t, "a@example.com", "pro", false)
	_, ko := e.account(t, "op@example.com", "pro", true)
	tun := e.tunnel(t, a, "alpha", 0)

	t.Run("DuringConcurrentAppends", func(t *testing.T) {
		const writers, each = 20, 50 // 1,000 appends
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := range each {
					d := captureDraft(a, tun, "alpha", w*each+i, []byte(fmt.Sprintf("body %d/%d", w, i)), nil)
					if _, err := e.log.Append(context.Background(), d); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		close(start)
		// Take the copy mid-way: once a few hundred appends are in.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if h, _ := e.log.Head(); h.Count >= 300 || time.Now().After(deadline) {
				break
			}
		}
		path := e.getBackup(t, ko, t.TempDir())
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}

		cp, err := events.Open(path, events.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer cp.Close()
		ch, err := cp.Verify(nil)
		if err != nil {
			t.Fatalf("the copy does not verify: %v", err)
		}
		// A prefix of the live log: the same chain up to the copy's head.
		oh, err := e.log.VerifyPrefix(ch.Count, nil)
		if err != nil || oh.Hash != ch.Hash || oh.ID != ch.ID {
			t.Fatalf("copy head %+v is not a prefix of the log (%+v, %v)", ch, oh, err)
		}
		full, _ := e.log.Head()
		if full.Count < ch.Count || full.Count < 1000 || ch.Count < 300 {
			t.Fatalf("log %d events, copy %d", full.Count, ch.Count)
		}
		t.Logf("copy holds %d of %d events", ch.Count, full.Count)
	})
	t.Run("ServerOnCopy", func(t *testing.T) {
		path := e.getBackup(t, ko, t.TempDir())
		ps := gochannel.NewGoChannel(gochannel.Config{}, watermill.NopLogger{})
		defer ps.Close()
		l := logtest.OpenAt(t, path, events.Options{Applier: projections.New(), Publisher: ps})
		defer l.Close()
		s, err := New(Config{Log: l, BaseDomain: "warren.test", Subscriber: ps, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		defer ts.Close()
		copyEnv := &testEnv{log: l, srv: s, ts: ts, ps: ps}
		// A's key works on the copy, its events are there, and it takes writes.
		p := copyEnv.getEvents(t, "/api/v1/me/events?type=request.captured&limit=1", ka)
		if len(p.Events) != 1 {
			t.Fatalf("no captured requests on the copy: %+v", p)
		}
		st, _, b := copyEnv.do(t, "POST", "/api/v1/me/reservations", ka, `{"subdomain":"after-restore"}`)
		wantStatus(t, st, 201, b)
		if _, err := l.Verify(nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrNotOperator", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/admin/backup", ka, "")
		wantError(t, st, b, 403, "forbidden")
	})
}
