package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

func getReadyz(tb testing.TB, h http.Handler, method string) (int, string) {
	tb.Helper()
	ts := httptest.NewServer(h)
	defer ts.Close()
	req, _ := http.NewRequest(method, ts.URL+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadyzIs503WhileTheLogCannotWrite: readiness follows the check it is
// given (here: a write transaction on a real log, which fails once the log
// is closed); nil is always ready.
func TestReadyzIs503WhileTheLogCannotWrite(t *testing.T) {
	l, _ := logtest.Open(t, events.Options{Applier: projections.New()})
	writable := func() error {
		if err := l.DB().Update(func(*bolt.Tx) error { return nil }); err != nil {
			return domain.Errorf(domain.CodeUnavailable, "the event log cannot be written")
		}
		return nil
	}
	h := Readiness(writable)
	if st, b := getReadyz(t, h, "GET"); st != 200 || !strings.Contains(b, `"ready"`) {
		t.Fatalf("open log: %d %s", st, b)
	}
	if st, _ := getReadyz(t, h, "HEAD"); st != 200 {
		t.Fatalf("HEAD: %d", st)
	}
	l.Close()
	st, b := getReadyz(t, h, "GET")
	wantError(t, st, []byte(b), 503, "unavailable")
	if !strings.Contains(b, "cannot be written") {
		t.Fatalf("503 without the reason: %s", b)
	}
	if st, _ := getReadyz(t, Readiness(nil), "GET"); st != 200 {
		t.Fatalf("nil check: %d", st)
	}
	if st, _ := getReadyz(t, h, "POST"); st != 405 {
		t.Fatalf("POST: %d", st)
	}
}
