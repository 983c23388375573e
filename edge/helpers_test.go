package edge

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge/agent"
	"warren/edge/wire"
	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

const testBase = "warren.test"

// testEdge is a running edge on 127.0.0.1:0 over a real log.
type testEdge struct {
	log    *events.Log
	srv    *Server
	http   *http.Server
	addr   string
	client *http.Client // dials addr whatever the URL's host
	ps     *gochannel.GoChannel
}

type edgeOpt func(*Config)

// MustEdge starts an edge with a real log, projections and GoChannel.
func MustEdge(tb testing.TB, opts ...edgeOpt) *testEdge {
	tb.Helper()
	ps := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024}, watermill.NopLogger{})
	// Checked (bbolt consistency, the chain) after the close below.
	l, _ := logtest.Open(tb, events.Options{Applier: projections.New(), Publisher: ps})
	if err := projections.Init(l.DB()); err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	cfg := Config{
		Log: l, BaseDomain: testBase, Subscriber: ps, PublicPort: ln.Addr().(*net.TCPAddr).Port,
		API: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api") }),
	}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	hs := NewHTTPServer(s.Handler())
	go hs.Serve(ln)
	addr := ln.Addr().String()
	te := &testEdge{log: l, srv: s, http: hs, addr: addr, ps: ps}
	te.client = &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
			},
			MaxIdleConnsPerHost: 256,
			DisableCompression:  true,
		},
		Timeout: 60 * time.Second,
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		s.Shutdown(ctx)
		l.Close()
		ps.Close()
	})
	return te
}

// MustAccount creates an account and returns its id and key secret.
func (te *testEdge) MustAccount(tb testing.TB, email, plan string) (string, string) {
	tb.Helper()
	secret, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	evs, err := te.log.Execute(context.Background(), projections.CreateAccount(projections.NewAccount{
		Email: email, Plan: plan, KeyHash: domain.HashKeySecret(secret), KeyPrefix: domain.KeyShownPrefix(secret)}))
	if err != nil {
		tb.Fatal(err)
	}
	return projections.AccountIDFromEvents(evs), secret
}

// MustAgent connects an agent with key.
func (te *testEdge) MustAgent(tb testing.TB, key string, opts ...func(*agent.Options)) *agent.Client {
	tb.Helper()
	o := agent.Options{Server: "http://" + te.addr, Key: key, MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := agent.Dial(ctx, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Close(ctx)
	})
	return c
}

// MustOrigin serves h on 127.0.0.1:0 and returns its address.
func MustOrigin(tb testing.TB, h http.Handler) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	tb.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// MustOpenHTTP opens an HTTP tunnel to origin.
func MustOpenHTTP(tb testing.TB, c *agent.Client, origin, sub string) agent.Tunnel {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t, err := c.OpenHTTP(ctx, origin, sub)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// url is the public URL of sub (the client dials the edge for any host).
func (te *testEdge) url(sub, path string) string {
	return "http://" + sub + "." + testBase + path
}

// waitCaptured waits until the account has n captured requests, newest first.
func (te *testEdge) waitCaptured(tb testing.TB, acc string, n int) []domain.CapturedRequest {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []domain.CapturedRequest
		if err := te.log.DB().View(func(tx *bolt.Tx) error {
			var err error
			got, err = projections.Requests(tx, acc, "", ulid.ULID{}, 1000)
			return err
		}); err != nil {
			tb.Fatal(err)
		}
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) != n {
				tb.Fatalf("captured %d requests, want %d", len(got), n)
			}
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// request returns the full capture of id.
func (te *testEdge) request(tb testing.TB, acc, id string) domain.CapturedRequest {
	tb.Helper()
	var cr domain.CapturedRequest
	if err := te.log.DB().View(func(tx *bolt.Tx) error {
		var err error
		cr, err = projections.Request(tx, acc, ulid.MustParse(id))
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return cr
}

// tunnelRecord reads a tunnel from the projections.
func (te *testEdge) tunnelRecord(tb testing.TB, id string) domain.Tunnel {
	tb.Helper()
	var t domain.Tunnel
	if err := te.log.DB().View(func(tx *bolt.Tx) error {
		var err error
		t, err = projections.Tunnel(tx, id)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return t
}

// eventually polls cond for up to d.
func eventually(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rawConnect opens an agent connection by hand (tests of the wire).
func rawUpgrade(tb testing.TB, addr, key string) (net.Conn, string) {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	io.WriteString(c, "GET "+wire.ConnectPath+" HTTP/1.1\r\nHost: "+testBase+"\r\nAuthorization: Bearer "+key+"\r\nConnection: Upgrade\r\nUpgrade: "+wire.Upgrade+"\r\n\r\n")
	buf := make([]byte, 512)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := c.Read(buf)
	c.SetReadDeadline(time.Time{})
	return c, strings.SplitN(string(buf[:n]), "\r\n", 2)[0]
}

type bboltTx = bolt.Tx

// mustKey adds a key to acc and returns its secret.
func mustKey(tb testing.TB, te *testEdge, acc string) string {
	tb.Helper()
	secret, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := te.log.Execute(context.Background(), projections.CreateKey(acc, domain.HashKeySecret(secret), domain.KeyShownPrefix(secret), "second")); err != nil {
		tb.Fatal(err)
	}
	return secret
}

func agentSpecHTTP(local, sub, hostname string) agent.Spec {
	return agent.Spec{Proto: domain.ProtoHTTP, Local: local, Subdomain: sub, Hostname: hostname}
}
