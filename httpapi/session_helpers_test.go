package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/events"
	"warren/events/logtest"
	"warren/httpapi/dashboard"
	"warren/projections"
)

// cheapPasswords keeps argon2id fast in tests; the default parameters are
// tested in httpapi/dashboard.
func cheapPasswords(c *Config) { c.PasswordParams = dashboard.Params{Memory: 64, Time: 1, Threads: 1} }

// fakeClock is a settable Config.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// mustPassword sets an account's password through the log, as the
// offline admin does.
func (e *testEnv) mustPassword(tb testing.TB, acc, pw string) {
	tb.Helper()
	phc, err := dashboard.HashPassword(e.srv.rnd, pw, e.srv.cfg.PasswordParams)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := e.log.Execute(context.Background(), projections.SetPassword(acc, phc)); err != nil {
		tb.Fatal(err)
	}
}

// signIn posts the credentials and returns the status, body and the
// session cookie set (nil when none).
func (e *testEnv) signIn(tb testing.TB, email, pw string) (int, []byte, *http.Cookie) {
	tb.Helper()
	st, h, b := e.do(tb, "POST", "/api/v1/session", "", `{"email":"`+email+`","password":"`+pw+`"}`, "Content-Type", "application/json")
	resp := http.Response{Header: h}
	for _, c := range resp.Cookies() {
		if c.Name == cookieInsecure || c.Name == cookieSecure {
			return st, b, c
		}
	}
	return st, b, nil
}

// mustSignIn signs in and returns the Cookie header value.
func (e *testEnv) mustSignIn(tb testing.TB, email, pw string) string {
	tb.Helper()
	st, b, c := e.signIn(tb, email, pw)
	wantStatus(tb, st, 201, b)
	if c == nil {
		tb.Fatalf("no session cookie; body %s", b)
	}
	return c.Name + "=" + c.Value
}

// mustEnvClock is mustEnv with one settable clock for the API and the log
// (the log stamps events and decides expiries with its own).
func mustEnvClock(tb testing.TB, clock *fakeClock, tweak ...func(*Config)) *testEnv {
	tb.Helper()
	ps := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024}, watermill.NopLogger{})
	l, _ := logtest.Open(tb, events.Options{Applier: projections.New(), Publisher: ps, Now: clock.Now})
	cfg := Config{Log: l, BaseDomain: "warren.test", Subscriber: ps, Now: clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range tweak {
		f(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		ps.Close()
		l.Close()
	})
	return &testEnv{log: l, srv: s, ts: ts, ps: ps}
}
