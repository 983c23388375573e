package projections

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
)

// TestLogWrittenBeforePayloadTypesStillReads: testdata/log-v1.db.gz is the
// log (its own buckets, no projections) of an account's life written by
// the code that stored domain structs, before payload types and versions.
// It still verifies, rebuilds, serves its capture as stored (the v1
// Authorization in the clear: the log is never rewritten), and takes new
// events of the current version on the same chain.
func TestLogWrittenBeforePayloadTypesStillReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warren.db")
	gunzipFile(t, filepath.Join("testdata", "log-v1.db.gz"), path)
	l := logtest.OpenAt(t, path, events.Options{Applier: New()})
	defer l.Close()
	if _, err := EnsureCurrent(l.DB(), nil); err != nil {
		t.Fatal(err)
	}
	head, err := l.Verify(nil)
	if err != nil || head.Count < 10 {
		t.Fatalf("verify: %+v, %v", head, err)
	}
	var capture events.Event
	types := map[events.Type]bool{}
	if err := l.ReadFrom(ulid.ULID{}, func(ev events.Event) error {
		types[ev.Type] = true
		if ev.Version != 1 {
			t.Errorf("%s stored as v%d", ev.Type, ev.Version)
		}
		if _, err := events.DecodePayload(&ev); err != nil {
			t.Error(err)
		}
		if ev.Type == events.RequestCaptured {
			capture = ev
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(types) < 10 || capture.Type == "" {
		t.Fatalf("fixture holds %v", types)
	}
	cr, err := View(l.DB(), func(tx *bolt.Tx) (domain.CapturedRequest, error) {
		return Request(tx, capture.Account, capture.ID)
	})
	if err != nil || cr.ReqHeaders["Authorization"][0] != "Bearer old-secret" || cr.Secrets != nil ||
		cr.Tunnel != "hooks" || cr.Status != 200 || cr.TTFBMs != 0.5 || cr.ReqBody.Size != 7 || !cr.CreatedAt.Equal(capture.At) {
		t.Fatalf("v1 capture read as %+v, %v", cr, err)
	}
	if body, ok, err := l.Body(capture.ID, 0); err != nil || !ok || string(body) != "payload" {
		t.Fatalf("v1 body %q %v %v", body, ok, err)
	}
	before := fingerprint(t, l.DB())
	if _, err := Rebuild(l.DB(), nil); err != nil {
		t.Fatal(err)
	}
	if fingerprint(t, l.DB()) != before {
		t.Fatal("rebuilding the v1 log twice gave different projections")
	}
	cr.ID, cr.AccountID, cr.CreatedAt = "", "", time.Time{}
	evs, err := l.Append(context.Background(), events.CapturedDraft(capture.Account, time.Time{}, cr, nil, nil))
	if v := events.CurrentVersion(events.RequestCaptured); err != nil || evs[0].Version != v {
		t.Fatalf("append v%d: %v", v, err)
	}
	if h, err := l.Verify(nil); err != nil || h.Count != head.Count+1 {
		t.Fatalf("verify after a current-version append: %+v, %v", h, err)
	}
}

func gunzipFile(t *testing.T, from, to string) {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
