package edge

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFailedCapturesAreCountedAndLogged: a capture whose append fails (the
// log cannot write) is counted in CaptureStats().Failed and logged, not
// lost without a word.
func TestFailedCapturesAreCountedAndLogged(t *testing.T) {
	var logs syncBuffer
	te := MustEdge(t, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	_, key := te.MustAccount(t, "lost@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	MustOpenHTTP(t, te.MustAgent(t, key), origin, "lossy")
	te.log.Close() // from now on every append fails
	res, err := te.client.Get(te.url("lossy", "/"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	eventually(t, 5*time.Second, "the failed capture counted and logged", func() bool {
		return te.srv.CaptureStats().Failed == 1 && strings.Contains(logs.String(), "captured requests are lost")
	})
}

// TestUnwritableLogRefusesPublicRequests: while Config.Writable reports an
// error, public requests get a 503 page saying why instead of being served
// uncaptured; with ServeUncaptured they are served.
func TestUnwritableLogRefusesPublicRequests(t *testing.T) {
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	for _, tc := range []struct {
		name   string
		serve  bool
		status int
	}{{"Refused", false, http.StatusServiceUnavailable}, {"ServeUncaptured", true, http.StatusOK}} {
		t.Run(tc.name, func(t *testing.T) {
			var full atomic.Bool
			te := MustEdge(t, func(c *Config) {
				c.ServeUncaptured = tc.serve
				c.Writable = func() error {
					if full.Load() {
						return errors.New("no space left on device")
					}
					return nil
				}
			})
			acc, key := te.MustAccount(t, "full@example.com", "pro")
			MustOpenHTTP(t, te.MustAgent(t, key), origin, "disk-full")
			full.Store(true)
			var res *http.Response
			eventually(t, 5*time.Second, "the log's state seen", func() bool { // asked every 250 ms
				r, err := te.client.Get(te.url("disk-full", "/"))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
				res = r
				return tc.serve || r.StatusCode != http.StatusOK
			})
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if !tc.serve {
				if res.Header.Get("X-Warren-Error") != "capture_unavailable" || te.srv.CaptureStats().Unwritable == 0 {
					t.Fatalf("refusal %q, counted %d", res.Header.Get("X-Warren-Error"), te.srv.CaptureStats().Unwritable)
				}
				full.Store(false)
				eventually(t, 5*time.Second, "served again", func() bool {
					r, err := te.client.Get(te.url("disk-full", "/"))
					if err != nil {
						t.Fatal(err)
					}
					r.Body.Close()
					return r.StatusCode == http.StatusOK
				})
			}
			te.waitCapturedAtLeast(t, acc, 1)
		})
	}
}
