package edge

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"warren/domain"
	"warren/edge/wire"
)

// An agent that opens a tunnel, asks for request lines, then sends
// heartbeats and never reads: the server's answers fill its control window.
// It must be cut off within the write timeout (its tunnel closed as
// agent_gone), while another agent's tunnel keeps serving.
func TestAgentThatStopsReadingIsCutOff(t *testing.T) {
	te := MustEdge(t, func(c *Config) { c.AgentWriteTimeout = 200 * time.Millisecond })
	_, key := te.MustAccount(t, "stuck@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fine") }))
	MustOpenHTTP(t, te.MustAgent(t, key), origin, "healthy-app")

	stuck := mustRawAgent(t, te, key)
	stuck.send(t, wire.Msg{Type: wire.TypeOpen, Ref: "1", Proto: domain.ProtoHTTP, Subdomain: "stuck-app", Local: origin, Lines: true})
	tun := te.mustRoute(t, "stuck-app")
	stuck.wedge(t)

	res, err := te.client.Get(te.url("healthy-app", "/"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "fine" {
		t.Fatalf("healthy tunnel answered %d %q while another agent was stuck", res.StatusCode, b)
	}
	if !stuck.waitClosed(5 * time.Second) {
		t.Fatal("the server kept the session of an agent that stopped reading")
	}
	eventually(t, 5*time.Second, "stuck tunnel recorded closed", func() bool {
		return te.tunnelRecord(t, tun.info.ID).CloseReason == domain.CloseAgentGone
	})
	if te.srv.lookupHost("stuck-app") != nil && !te.srv.lookupHost("stuck-app").gone() {
		t.Fatal("stuck tunnel still routed to its session")
	}
}

// Shutdown returns by its context's deadline even when an agent has stopped
// reading (the write timeout, 10 s by default, is longer than the deadline),
// also with a deadline shorter than the last flush's grace.
func TestShutdownReturnsByDeadlineWithStuckAgent(t *testing.T) {
	for _, deadline := range []time.Duration{time.Second, 50 * time.Millisecond} {
		t.Run(deadline.String(), func(t *testing.T) {
			te := MustEdge(t)
			_, key := te.MustAccount(t, "shutdown@example.com", "pro")
			origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			stuck := mustRawAgent(t, te, key)
			stuck.send(t, wire.Msg{Type: wire.TypeOpen, Ref: "1", Proto: domain.ProtoHTTP, Subdomain: "stuck-shut", Local: origin})
			te.mustRoute(t, "stuck-shut")
			stuck.wedge(t)
			time.Sleep(100 * time.Millisecond) // let the server's answers fill the window

			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			start := time.Now()
			done := make(chan struct{})
			go func() {
				defer close(done)
				te.srv.Shutdown(ctx)
			}()
			select {
			case <-done:
			case <-time.After(deadline + 2*time.Second):
				t.Fatal("Shutdown did not return by its context's deadline")
			}
			if d := time.Since(start); d > deadline+500*time.Millisecond {
				t.Fatalf("Shutdown returned after %v, deadline %v", d, deadline)
			}
			if !stuck.waitClosed(5 * time.Second) {
				t.Fatal("the stuck agent's session outlived Shutdown")
			}
		})
	}
}

// Revoking a key closes its agent's session within 1 s, also when the agent
// has stopped reading.
func TestRevokedKeySessionClosedWithin1s(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "revoke@example.com", "pro")
	second := mustKey(t, te, acc)
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	stuck := mustRawAgent(t, te, second)
	stuck.send(t, wire.Msg{Type: wire.TypeOpen, Ref: "1", Proto: domain.ProtoHTTP, Subdomain: "revoked-app", Local: origin})
	tun := te.mustRoute(t, "revoked-app")
	stuck.wedge(t)
	time.Sleep(100 * time.Millisecond)
	_ = key

	start := time.Now()
	te.revoke(t, acc, te.keyID(t, second))
	closed := stuck.waitClosed(3 * time.Second)
	took := time.Since(start)
	if !closed || took > time.Second {
		t.Fatalf("revoked key's session closed: %v, after %v (want within 1 s)", closed, took)
	}
	t.Logf("session closed %v after the revocation", took.Round(time.Millisecond))
	eventually(t, 5*time.Second, "tunnel closed as key_revoked", func() bool {
		return te.tunnelRecord(t, tun.info.ID).CloseReason == domain.CloseKeyRevoked
	})
}
