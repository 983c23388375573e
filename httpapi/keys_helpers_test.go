package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

// mustOpsLog opens a real log in a temp dir with the projections inline,
// for tests of the keys, domains and usage operations.
func mustOpsLog(tb testing.TB) *events.Log {
	tb.Helper()
	l, _ := logtest.Open(tb, events.Options{Applier: projections.New()})
	if err := projections.Init(l.DB()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// mustOpsAccount creates an account and returns its id and first key secret.
func mustOpsAccount(tb testing.TB, l *events.Log, email, plan string) (string, string) {
	tb.Helper()
	secret, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	evs, err := l.Execute(context.Background(), projections.CreateAccount(projections.NewAccount{
		Email: email, Name: email, Plan: plan,
		KeyHash: domain.HashKeySecret(secret), KeyPrefix: domain.KeyShownPrefix(secret)}))
	if err != nil {
		tb.Fatal(err)
	}
	return projections.AccountIDFromEvents(evs), secret
}

// wantCode fails unless err carries code.
func wantCode(tb testing.TB, err error, code domain.Code) {
	tb.Helper()
	if got := domain.ErrorCode(err); got != code {
		tb.Fatalf("err = %v (code %q), want code %q", err, got, code)
	}
}

// kdAPI is a real API server (keys/domains/usage tests) on 127.0.0.1:0
// over a real log in a temp dir.
type kdAPI struct {
	URL string
	Log *events.Log
}

// startKDAPI starts one; resolver may be nil (the system's).
func startKDAPI(tb testing.TB, resolver *net.Resolver, now func() time.Time) *kdAPI {
	tb.Helper()
	l := mustOpsLog(tb)
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 16}, watermill.NopLogger{})
	tb.Cleanup(func() { bus.Close() })
	s, err := New(Config{Log: l, BaseDomain: "warren.test", Subscriber: bus, Resolver: resolver, Now: now,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	tb.Cleanup(srv.Close)
	return &kdAPI{URL: srv.URL, Log: l}
}

// kdResp is a finished API call.
type kdResp struct {
	Status int
	Header http.Header
	Body   string
}

// call makes one request with key as the bearer token ("" = none); a body
// is sent as curl -d sends it when contentType is "".
func (a *kdAPI) call(tb testing.TB, method, path, key, contentType, body string) kdResp {
	tb.Helper()
	req, err := http.NewRequest(method, a.URL+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" && contentType == "" {
		contentType = "application/x-www-form-urlencoded" // curl -d's default
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return kdResp{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// want fails unless the status is status; it decodes the body into v (if not nil).
func (r kdResp) want(tb testing.TB, status int, v any) kdResp {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(r.Body), v); err != nil {
			tb.Fatalf("decoding %s: %v", r.Body, err)
		}
	}
	return r
}

// wantError fails unless the answer is status with {"error":code,…}.
func (r kdResp) wantError(tb testing.TB, status int, code string) {
	tb.Helper()
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	r.want(tb, status, &e)
	if e.Error != code {
		tb.Fatalf("error %q, want %q; body %s", e.Error, code, r.Body)
	}
}

// keysOf returns the JSON object's keys, sorted.
func keysOf(tb testing.TB, raw string) []string {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		tb.Fatalf("decoding %s: %v", raw, err)
	}
	return slices.Sorted(maps.Keys(m))
}
