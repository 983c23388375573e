package httpapi

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"warren/domain"
	"warren/projections"
)

// getFrom sends GET path with a raw Authorization value from the local
// address ip (any of 127.0.0.0/8 on Linux), so tests can act as two clients.
func (e *testEnv) getFrom(tb testing.TB, ip, path, authorization string) (int, http.Header, []byte) {
	tb.Helper()
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}).DialContext}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", e.ts.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func TestAPIAuthTakesTheBearerSchemeInAnyCase(t *testing.T) {
	e := mustEnv(t)
	_, key := e.account(t, "case@example.com", "free", false)
	for _, h := range []string{"bearer " + key, "BEARER " + key, "Bearer\t" + key, "bEaReR   " + key} {
		st, _, b := e.getFrom(t, "127.0.0.1", "/v1/me", h)
		wantStatus(t, st, 200, b)
	}
}

func TestAPIAuthAnswersUnknownAndRevokedKeysAlike(t *testing.T) {
	e := mustEnv(t)
	acc, key := e.account(t, "same@example.com", "free", false)
	if _, err := e.log.Execute(context.Background(), projections.CreateKey(acc, "deadbeef", "ak_xx", "spare")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.log.Execute(context.Background(), projections.RevokeKey(acc, mustKeyID(t, e, key))); err != nil {
		t.Fatal(err)
	}
	unknown := freshKey(t) // well-formed, held by nobody
	st1, _, revoked := e.getFrom(t, "127.0.0.1", "/v1/me", "Bearer "+key)
	st2, _, nobody := e.getFrom(t, "127.0.0.1", "/v1/me", "Bearer "+unknown)
	wantError(t, st1, revoked, 401, "unauthorized")
	wantError(t, st2, nobody, 401, "unauthorized")
	if string(revoked) != string(nobody) {
		t.Fatalf("a revoked key answered %s, an unknown one %s", revoked, nobody)
	}
}

func TestRepeatedBadKeysFromOneAddressGet429(t *testing.T) {
	e := mustEnv(t)
	_, key := e.account(t, "victim@example.com", "free", false)
	var limited int
	for i := 0; i < 20; i++ {
		st, h, b := e.getFrom(t, "127.0.0.1", "/v1/me", "Bearer "+freshKey(t))
		switch st {
		case 401:
			if limited > 0 {
				t.Fatalf("attempt %d: 401 after a 429", i)
			}
		case 429:
			limited++
			wantError(t, st, b, 429, "quota")
			if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("attempt %d: Retry-After %q", i, h.Get("Retry-After"))
			}
		default:
			t.Fatalf("attempt %d: status %d %s", i, st, b)
		}
	}
	if limited == 0 {
		t.Fatal("20 bad keys from one address: none was refused with 429")
	}
	// Over the limit, even a good key waits: guessing must gain nothing.
	st, _, b := e.getFrom(t, "127.0.0.1", "/v1/me", "Bearer "+key)
	wantError(t, st, b, 429, "quota")
	// Another address is not held back by the first one's failures.
	st, _, b = e.getFrom(t, "127.0.0.2", "/v1/me", "Bearer "+freshKey(t))
	wantError(t, st, b, 401, "unauthorized")
	st, _, b = e.getFrom(t, "127.0.0.2", "/v1/me", "Bearer "+key)
	wantStatus(t, st, 200, b)
	// A request without any credential is no attempt: it stays a 401, even
	// from the address over its limit.
	st, _, b = e.getFrom(t, "127.0.0.1", "/v1/me", "")
	wantError(t, st, b, 401, "unauthorized")
	if !strings.Contains(string(b), "Bearer") {
		t.Fatalf("no hint how to authenticate: %s", b)
	}
}

// freshKey is a well-formed key secret that no account holds.
func freshKey(tb testing.TB) string {
	tb.Helper()
	s, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
