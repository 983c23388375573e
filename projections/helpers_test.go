package projections

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
)

// MustOpenLog opens a log in a temp dir with the projections applied inline.
func MustOpenLog(tb testing.TB) *events.Log {
	tb.Helper()
	// Closed, then checked (bbolt consistency, the chain) when the test ends.
	l, _ := logtest.Open(tb, events.Options{Applier: New()})
	if err := Init(l.DB()); err != nil {
		tb.Fatal(err)
	}
	return l
}

// MustExec runs a command and fails the test on error.
func MustExec(tb testing.TB, l *events.Log, cmd events.Command) []events.Event {
	tb.Helper()
	evs, err := l.Execute(context.Background(), cmd)
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

// MustAccount creates an account on plan and returns its id and key secret.
func MustAccount(tb testing.TB, l *events.Log, email, plan string) (string, string) {
	tb.Helper()
	secret, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	evs := MustExec(tb, l, CreateAccount(NewAccount{Email: email, Plan: plan,
		KeyHash: domain.HashKeySecret(secret), KeyPrefix: domain.KeyShownPrefix(secret)}))
	return AccountIDFromEvents(evs), secret
}

func mustView(tb testing.TB, l *events.Log, fn func(tx *bolt.Tx) error) {
	tb.Helper()
	if err := l.DB().View(fn); err != nil {
		tb.Fatal(err)
	}
}

func openHTTP(acc, sub string) events.Command {
	return OpenTunnelCmd(OpenTunnel{AccountID: acc, SessionID: "ses_1", Proto: domain.ProtoHTTP, Subdomain: sub,
		RemoteAddr: "127.0.0.1", URL: func(s string, _ int) string { return "http://" + s + ".localhost:8080" },
		RandomName: func() (string, error) { return domain.RandomSubdomain(rand.Reader) }})
}

// captured is a request.captured draft as the edge appends it.
func captured(acc, tunnel string, at time.Time, in, out int64) events.Draft {
	return events.CapturedDraft(acc, at, capturedRequest(tunnel, in, out), nil, nil)
}

func capturedRequest(tunnel string, in, out int64) domain.CapturedRequest {
	return domain.CapturedRequest{
		Tunnel: tunnel, Kind: domain.KindHTTP, Method: "POST", Path: "/webhook?x=1", Status: 200,
		BytesIn: in, BytesOut: out, IP: "203.0.113.7", Proto: "HTTP/1.1", Host: tunnel + ".localhost",
		ReqHeaders: map[string][]string{"Stripe-Signature": {"t=1,v1=abc"}}}
}

func fingerprint(tb testing.TB, db *bolt.DB) [32]byte {
	tb.Helper()
	var fp [32]byte
	if err := db.View(func(tx *bolt.Tx) error {
		var err error
		fp, err = Fingerprint(tx)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return fp
}
