package edge

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"warren/domain"
	"warren/edge/agent"
)

// TestTCPPortOfAReconnectingAgentIsNotStolen: while an agent reconnects,
// its TCP port is not handed to another account (its reopen asks for it);
// once another account holds it anyway (the hold expired), the reopen gets
// a new port and the agent says so in a line of its own.
func TestTCPPortOfAReconnectingAgentIsNotStolen(t *testing.T) {
	var skew atomic.Int64 // moves the edge's clock past the hold
	te := MustEdge(t, func(c *Config) {
		c.TCPPorts = freePortRange(t, true)
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	_, keyA := te.MustAccount(t, "tcp-owner@example.com", "pro")
	_, keyB := te.MustAccount(t, "tcp-other@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	cut := mustCutter(t, te.addr)
	evs := make(chan agent.Event, 16)
	a := te.MustAgent(t, keyA, func(o *agent.Options) {
		o.Server = "http://" + cut.ln.Addr().String()
		o.OnEvent = func(e agent.Event) { evs <- e }
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tunA, err := a.OpenTCP(ctx, origin)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := te.srv.cfg.TCPPorts[0], te.srv.cfg.TCPPorts[1]
	if tunA.Port != lo {
		t.Fatalf("first TCP tunnel on %d, want %d", tunA.Port, lo)
	}
	cut.down.Store(true)
	cut.cut()
	eventually(t, 5*time.Second, "tunnel closed", func() bool {
		return te.tunnelRecord(t, tunA.ID).CloseReason == domain.CloseAgentGone
	})

	b1 := te.MustAgent(t, keyB)
	tb1, err := b1.OpenTCP(ctx, origin)
	if err != nil || tb1.Port != hi {
		t.Fatalf("other account's first TCP tunnel: %+v %v, want port %d", tb1, err, hi)
	}
	b2 := te.MustAgent(t, keyB)
	if tb2, err := b2.OpenTCP(ctx, origin); err == nil {
		t.Fatalf("another account took port %d of a reconnecting agent", tb2.Port)
	}

	// The hold is over: the port is anyone's, and another account takes it.
	skew.Store(int64(domain.ReconnectHold + time.Minute))
	tb2, err := b2.OpenTCP(ctx, origin)
	if err != nil || tb2.Port != lo {
		t.Fatalf("after the hold: %+v %v, want port %d", tb2, err, lo)
	}
	if err := b1.Close(ctx); err != nil { // frees hi
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "port freed", func() bool { return !te.tunnelRecord(t, tb1.ID).Live() })
	cut.down.Store(false)
	var moved string
	for {
		select {
		case e := <-evs:
			if e.Kind == "moved" {
				moved = e.Message
			}
			if e.Kind != "reopened" {
				continue
			}
			if e.Tunnel.Port != hi || !strings.Contains(moved, "was taken") {
				t.Fatalf("reopened on %d (want %d) with moved line %q", e.Tunnel.Port, hi, moved)
			}
			return
		case <-time.After(10 * time.Second):
			t.Fatal("the agent did not reopen")
		}
	}
}

// TestReopenOfAPortStillLiveIsAConflict: an agent back before the server
// noticed its old connection drop asks for its port while the old tunnel
// still holds it; it is told to retry (conflict, which its reopen retries)
// instead of being moved to another port for good.
func TestReopenOfAPortStillLiveIsAConflict(t *testing.T) {
	te := MustEdge(t, func(c *Config) { c.TCPPorts = freePortRange(t, true) })
	_, key := te.MustAccount(t, "tcp-quick@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	old, err := te.MustAgent(t, key).OpenTCP(ctx, origin)
	if err != nil {
		t.Fatal(err)
	}
	_, err = te.MustAgent(t, key).Open(ctx, agent.Spec{Proto: domain.ProtoTCP, Local: origin, WantPort: old.Port})
	if domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("asking for a port the account's old tunnel still holds: %v, want conflict", err)
	}
}
