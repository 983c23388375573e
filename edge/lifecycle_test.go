package edge

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"warren/domain"
	"warren/edge/agent"
	"warren/projections"
)

// cutter forwards TCP to the edge and can cut every connection at once (an
// agent SIGKILLed or a network drop) and refuse new ones while down.
type cutter struct {
	ln     net.Listener
	to     string
	down   atomic.Bool
	frozen atomic.Bool // stop forwarding, keep connections open (a black hole)
	mu     sync.Mutex
	conns  []net.Conn
}

func mustCutter(tb testing.TB, to string) *cutter {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	c := &cutter{ln: ln, to: to}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			if c.down.Load() {
				in.Close()
				continue
			}
			out, err := net.Dial("tcp", to)
			if err != nil {
				in.Close()
				continue
			}
			c.mu.Lock()
			c.conns = append(c.conns, in, out)
			c.mu.Unlock()
			go func() { c.copy(out, in); out.Close() }()
			go func() { c.copy(in, out); in.Close() }()
		}
	}()
	tb.Cleanup(func() { ln.Close(); c.cut() })
	return c
}

// copy forwards until EOF, holding bytes back while frozen.
func (c *cutter) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for c.frozen.Load() {
			time.Sleep(50 * time.Millisecond)
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
}

func TestServer_AgentGone(t *testing.T) {
	var skew atomic.Int64 // moves the edge's clock past the reconnect hold
	te := MustEdge(t, func(c *Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	acc, key := te.MustAccount(t, "gone@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
	cut := mustCutter(t, te.addr)
	var reopened atomic.Int32
	ag := te.MustAgent(t, key, func(o *agent.Options) {
		o.Server = "http://" + cut.ln.Addr().String()
		o.OnEvent = func(e agent.Event) {
			if e.Kind == "reopened" {
				reopened.Add(1)
			}
		}
	})
	tun := MustOpenHTTP(t, ag, origin, "")
	sub := tun.Subdomain
	if domain.ValidateSubdomain(sub) != nil {
		t.Fatalf("random name %q", sub)
	}

	t.Run("Killed503ThenAfterTheHold502Captured", func(t *testing.T) {
		cut.down.Store(true)
		cut.cut()
		eventually(t, 5*time.Second, "tunnel closed", func() bool {
			return te.tunnelRecord(t, tun.ID).CloseReason == domain.CloseAgentGone
		})
		get := func(path string) (*http.Response, string) {
			res, err := te.client.Get(te.url(sub, path))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return res, string(body)
		}
		// Its agent is likely reconnecting: a retryable 503.
		res, body := get("/soon")
		if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" || !strings.Contains(body, "reconnecting") {
			t.Fatalf("within the hold: status %d Retry-After %q body %s", res.StatusCode, res.Header.Get("Retry-After"), body)
		}
		cr := te.waitCaptured(t, acc, 1)[0]
		if cr.Status != 503 || cr.Error != "agent_reconnecting" || cr.Path != "/soon" {
			t.Fatalf("capture %+v", cr)
		}
		skew.Store(int64(domain.ReconnectHold + time.Second))
		defer skew.Store(0)
		res, body = get("/after")
		if res.StatusCode != 502 || !strings.Contains(body, "Tunnel offline") {
			t.Fatalf("after the hold: status %d body %s", res.StatusCode, body)
		}
		cr = te.waitCaptured(t, acc, 2)[0]
		if cr.Status != 502 || cr.Error != "agent_gone" || cr.Path != "/after" {
			t.Fatalf("capture %+v", cr)
		}
	})
	t.Run("ReconnectSameName", func(t *testing.T) {
		cut.down.Store(false)
		eventually(t, 10*time.Second, "reopened", func() bool { return reopened.Load() == 1 })
		ts := ag.Tunnels()
		if len(ts) != 1 || ts[0].Subdomain != sub || ts[0].ID == tun.ID {
			t.Fatalf("tunnels after reconnect %+v", ts)
		}
		res, err := te.client.Get(te.url(sub, "/back"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != "hi" {
			t.Fatalf("status %d body %s", res.StatusCode, body)
		}
	})
}

func TestServer_Claims(t *testing.T) {
	te := MustEdge(t)
	accA, keyA := te.MustAccount(t, "a@example.com", "free")
	_, keyB := te.MustAccount(t, "b@example.com", "free")
	if _, err := te.log.Execute(context.Background(), projections.Reserve(accA, "acme-hooks")); err != nil {
		t.Fatal(err)
	}
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	agB := te.MustAgent(t, keyB)
	ctx := context.Background()

	t.Run("ErrReservedOffline", func(t *testing.T) {
		_, err := agB.OpenHTTP(ctx, origin, "acme-hooks")
		if domain.ErrorCode(err) != domain.CodeConflict || !strings.Contains(err.Error(), "reserved") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("OwnReservation", func(t *testing.T) {
		agA := te.MustAgent(t, keyA)
		MustOpenHTTP(t, agA, origin, "acme-hooks")
	})
	t.Run("ErrReservedOnline", func(t *testing.T) {
		_, err := agB.OpenHTTP(ctx, origin, "acme-hooks")
		if domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("ErrEphemeralInUse", func(t *testing.T) {
		MustOpenHTTP(t, agB, origin, "bee-first")
		agA := te.MustAgent(t, keyA)
		_, err := agA.OpenHTTP(ctx, origin, "bee-first")
		if domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("ErrQuotaNamesLimitAndPlan", func(t *testing.T) {
		ag := te.MustAgent(t, keyB)
		var err error
		for i := 0; i < 11 && err == nil; i++ {
			_, err = ag.OpenHTTP(ctx, origin, "")
		}
		if domain.ErrorCode(err) != domain.CodeQuota || !strings.Contains(err.Error(), "free plan allows 10 tunnels") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestServer_Lifecycle(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "life@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ctx := context.Background()

	t.Run("ReleasedThroughAPIClosesAtAgent", func(t *testing.T) {
		closed := make(chan agent.Event, 1)
		ag := te.MustAgent(t, key, func(o *agent.Options) {
			o.OnEvent = func(e agent.Event) {
				if e.Kind == "closed" {
					closed <- e
				}
			}
		})
		tun := MustOpenHTTP(t, ag, origin, "to-delete")
		// What the API's DELETE does: append tunnel.closed (released).
		if _, err := te.log.Execute(ctx, projections.CloseTunnel(acc, tun.ID, domain.CloseReleased)); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-closed:
			if e.Tunnel.ID != tun.ID || e.Message != domain.CloseReleased {
				t.Fatalf("event %+v", e)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("agent not told")
		}
		res, err := te.client.Get(te.url("to-delete", "/"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Fatalf("status %d after release", res.StatusCode)
		}
	})
	t.Run("KeyRevokedWithin1s", func(t *testing.T) {
		secret2 := mustKey(t, te, acc)
		ag := te.MustAgent(t, secret2)
		tun := MustOpenHTTP(t, ag, origin, "revoke-me")
		var keyID string
		te.log.DB().View(func(tx *bboltTx) error {
			k, _ := projections.Tunnel(tx, tun.ID)
			keyID = k.KeyID
			return nil
		})
		start := time.Now()
		if _, err := te.log.Execute(ctx, projections.RevokeKey(acc, keyID)); err != nil {
			t.Fatal(err)
		}
		eventually(t, 2*time.Second, "closed key_revoked", func() bool {
			return te.tunnelRecord(t, tun.ID).CloseReason == domain.CloseKeyRevoked
		})
		if d := time.Since(start); d > time.Second {
			t.Errorf("revocation took %v", d)
		}
		select {
		case <-ag.Done():
		case <-time.After(2 * time.Second):
			t.Fatal("agent still running with a revoked key")
		}
	})
	t.Run("ShutdownRecordsCloses", func(t *testing.T) {
		ag := te.MustAgent(t, key)
		tun := MustOpenHTTP(t, ag, origin, "shut-down")
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := te.srv.Shutdown(sctx); err != nil {
			t.Fatal(err)
		}
		if r := te.tunnelRecord(t, tun.ID).CloseReason; r != domain.CloseShutdown {
			t.Fatalf("close reason %q", r)
		}
	})
}

func TestServer_SilentAgentDropped(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for yamux keepalive (up to 25 s)")
	}
	te := MustEdge(t)
	_, key := te.MustAccount(t, "silent@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	cut := mustCutter(t, te.addr)
	ag := te.MustAgent(t, key, func(o *agent.Options) { o.Server = "http://" + cut.ln.Addr().String() })
	tun := MustOpenHTTP(t, ag, origin, "silent-app")
	cut.down.Store(true) // no reconnect once dropped
	cut.frozen.Store(true)
	start := time.Now()
	eventually(t, 35*time.Second, "silent agent dropped", func() bool {
		return te.tunnelRecord(t, tun.ID).CloseReason == domain.CloseAgentGone
	})
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("dropped after %v", d)
	}
	t.Logf("silent agent dropped after %v", time.Since(start).Round(time.Second))
	cut.frozen.Store(false)
}
