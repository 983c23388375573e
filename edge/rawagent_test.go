package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"warren/domain"
	"warren/edge/wire"
	"warren/projections"
)

// rawAgent is an agent built by hand on yamux that does only what a test
// tells it: in particular, it may never read its control stream.
type rawAgent struct {
	conn net.Conn
	mux  *yamux.Session
	ctl  net.Conn
}

// mustRawAgent connects with key and opens the control stream. Its control
// stream's receive window is yamux's smallest (256 KiB), so a test fills it
// quickly; nothing reads it unless the test does.
func mustRawAgent(tb testing.TB, te *testEdge, key string) *rawAgent {
	tb.Helper()
	c, status := rawUpgrade(tb, te.addr, key)
	if !strings.Contains(status, " 101 ") {
		c.Close()
		tb.Fatalf("upgrade answered %q", status)
	}
	cfg := wire.MuxConfig()
	cfg.MaxStreamWindowSize = 256 << 10
	mux, err := yamux.Client(c, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctl, err := mux.OpenStream()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { mux.Close(); c.Close() })
	return &rawAgent{conn: c, mux: mux, ctl: ctl}
}

// send writes control messages without reading anything.
func (a *rawAgent) send(tb testing.TB, ms ...wire.Msg) {
	tb.Helper()
	var b bytes.Buffer
	for _, m := range ms {
		m.V = wire.Version
		line, _ := json.Marshal(m)
		b.Write(line)
		b.WriteByte('\n')
	}
	a.ctl.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := a.ctl.Write(b.Bytes()); err != nil {
		tb.Fatal(err)
	}
}

// wedge fills the agent's control window: heartbeats, each answered by the
// server, far more than 256 KiB of answers the agent never reads.
func (a *rawAgent) wedge(tb testing.TB) {
	tb.Helper()
	hb := make([]wire.Msg, 20000)
	for i := range hb {
		hb[i] = wire.Msg{Type: wire.TypeHeartbeat}
	}
	a.send(tb, hb...)
}

// waitClosed waits up to d for the server to end the agent's session.
func (a *rawAgent) waitClosed(d time.Duration) bool {
	select {
	case <-a.mux.CloseChan():
		return true
	case <-time.After(d):
		return false
	}
}

// mustRoute waits until the edge routes sub to a live tunnel and returns it.
func (te *testEdge) mustRoute(tb testing.TB, sub string) *tunnel {
	tb.Helper()
	var t *tunnel
	eventually(tb, 10*time.Second, "tunnel "+sub+" routed", func() bool {
		t = te.srv.lookupHost(sub)
		return t != nil && !t.gone()
	})
	return t
}

// keyID finds the id of the key whose secret is secret.
func (te *testEdge) keyID(tb testing.TB, secret string) string {
	tb.Helper()
	k, err := projections.View(te.log.DB(), func(tx *bboltTx) (domain.APIKey, error) {
		return projections.KeyByHash(tx, domain.HashKeySecret(secret))
	})
	if err != nil {
		tb.Fatal(err)
	}
	return k.ID
}

// revoke revokes a key of acc.
func (te *testEdge) revoke(tb testing.TB, acc, keyID string) {
	tb.Helper()
	if _, err := te.log.Execute(context.Background(), projections.RevokeKey(acc, keyID)); err != nil {
		tb.Fatal(err)
	}
}
