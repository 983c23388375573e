package edge

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/edge/agent"
	"warren/edge/wire"
	"warren/projections"
)

// freePortRange returns a range of ports starting at one that was free a
// moment ago (with wide, the next one too, whatever it is).
func freePortRange(tb testing.TB, wide ...bool) [2]int {
	tb.Helper()
	if len(wide) > 0 && wide[0] {
		return quietPortPair(tb) // tcpreserve_test.go: p+1 of an ephemeral p is often the agent's own
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if len(wide) > 0 && wide[0] && p < 65535 {
		return [2]int{p, p + 1}
	}
	return [2]int{p, p}
}

// TestReplayWhileAPortIsBindingIsNotAPanic: a TCP port held by a listener
// still binding (a nil tunnel in the port table) made replay's tunnel lookup
// dereference nil: a 500 instead of a clean "tunnel offline" (409).
func TestReplayWhileAPortIsBindingIsNotAPanic(t *testing.T) {
	te := MustEdge(t, func(c *Config) { c.TCPPorts = freePortRange(t) })
	acc, key := te.MustAccount(t, "binding@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	ag := te.MustAgent(t, key)
	tun := MustOpenHTTP(t, ag, origin, "gone-web")
	res, err := te.client.Get(te.url("gone-web", "/x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cr := te.waitCaptured(t, acc, 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ag.Close(ctx); err != nil { // the tunnel goes offline
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "tunnel closed", func() bool { return !te.tunnelRecord(t, tun.ID).Live() })
	port := te.srv.cfg.TCPPorts[0]
	te.srv.mu.Lock()
	te.srv.ports[port] = nil // held while binding and recording
	te.srv.mu.Unlock()
	defer func() {
		te.srv.mu.Lock()
		delete(te.srv.ports, port)
		te.srv.mu.Unlock()
	}()
	_, err = te.srv.Replay(ctx, acc, "gone-web", ulid.MustParse(cr.ID), domain.ReplayOverrides{})
	if domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("replay through an offline tunnel while a port binds: %v, want conflict", err)
	}
}

// TestTCPOpenOverQuotaIsRefusedBeforeBinding: an account at its plan's
// tunnel limit asking for a TCP tunnel is told so (quota) without a port
// being bound: before, the port was bound first, and with the range taken
// the answer was "no free TCP port" instead.
func TestTCPOpenOverQuotaIsRefusedBeforeBinding(t *testing.T) {
	te := MustEdge(t, func(c *Config) { c.TCPPorts = freePortRange(t, true) })
	_, key := te.MustAccount(t, "full@example.com", "free") // 10 tunnels at once
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ag := te.MustAgent(t, key)
	for range 10 {
		MustOpenHTTP(t, ag, origin, "")
	}
	next := te.srv.nextPort
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := ag.OpenTCP(ctx, origin)
	if domain.ErrorCode(err) != domain.CodeQuota {
		t.Fatalf("an 11th tunnel on the free plan: %v, want quota", err)
	}
	if te.srv.nextPort != next {
		t.Fatalf("a port was taken (next port %d, was %d) before the quota was checked", te.srv.nextPort, next)
	}
}

// TestCaptureTimesComeFromTheInjectedClock: every time the edge records
// (the capture's time, the agent's request line) is Config.Now's.
func TestCaptureTimesComeFromTheInjectedClock(t *testing.T) {
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	te := MustEdge(t, func(c *Config) { c.Now = func() time.Time { return fixed } })
	acc, key := te.MustAccount(t, "clock@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	lines := make(chan wire.RequestLine, 1)
	ag := te.MustAgent(t, key, func(o *agent.Options) {
		o.OnRequest = func(l wire.RequestLine) {
			select {
			case lines <- l:
			default:
			}
		}
	})
	MustOpenHTTP(t, ag, origin, "clocked")
	res, err := te.client.Get(te.url("clocked", "/"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cr := te.waitCaptured(t, acc, 1)[0]
	if !cr.CreatedAt.Equal(fixed) {
		t.Fatalf("captured at %v, want the injected clock's %v", cr.CreatedAt, fixed)
	}
	select {
	case l := <-lines:
		if !l.At.Equal(fixed) {
			t.Fatalf("request line at %v, want %v", l.At, fixed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no request line")
	}
}

// TestNameOfAReconnectingAgentIsHeldForItsOwner: while an agent reconnects,
// its tunnel's name answers 503 and is not another account's to take; the
// owner's agent gets it back.
func TestNameOfAReconnectingAgentIsHeldForItsOwner(t *testing.T) {
	te := MustEdge(t)
	_, keyA := te.MustAccount(t, "owner@example.com", "pro")
	_, keyB := te.MustAccount(t, "squatter@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "mine") }))
	cut := mustCutter(t, te.addr)
	reopened := make(chan struct{}, 1)
	a := te.MustAgent(t, keyA, func(o *agent.Options) {
		o.Server = "http://" + cut.ln.Addr().String()
		o.OnEvent = func(e agent.Event) {
			if e.Kind == "reopened" {
				reopened <- struct{}{}
			}
		}
	})
	tun := MustOpenHTTP(t, a, origin, "held-name")
	cut.down.Store(true)
	cut.cut()
	eventually(t, 5*time.Second, "tunnel closed", func() bool {
		return te.tunnelRecord(t, tun.ID).CloseReason == domain.CloseAgentGone
	})
	b := te.MustAgent(t, keyB)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := b.OpenHTTP(ctx, origin, "held-name"); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("another account took a reconnecting agent's name: %v, want conflict", err)
	}
	cut.down.Store(false)
	select {
	case <-reopened:
	case <-time.After(10 * time.Second):
		t.Fatal("the owner's agent did not get its name back")
	}
}

// TestLocalAddressIsValidated: the agent's `local` is stored in the log and
// shown in the API: a malformed or huge one is refused.
func TestLocalAddressIsValidated(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "local@example.com", "pro")
	ag := te.MustAgent(t, key)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := ag.Open(ctx, agent.Spec{Proto: domain.ProtoHTTP, Local: strings.Repeat("a", 5000) + ":3000"})
	if domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(err.Error(), "local") {
		t.Fatalf("a 5,000-character local address: %v, want invalid", err)
	}
}

// TestTunnelNameComesFromTheProjection: the edge routes and captures under
// the name the projections give a tunnel (projections.TunnelName).
func TestTunnelNameComesFromTheProjection(t *testing.T) {
	te := MustEdge(t, func(c *Config) { c.TCPPorts = freePortRange(t) })
	_, key := te.MustAccount(t, "names@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ag := te.MustAgent(t, key)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tun, err := ag.OpenTCP(ctx, origin)
	if err != nil {
		t.Fatal(err)
	}
	rec := te.tunnelRecord(t, tun.ID)
	te.srv.mu.RLock()
	et := te.srv.byID[tun.ID]
	te.srv.mu.RUnlock()
	if et == nil || et.name != projections.TunnelName(rec) || et.name != "tcp-"+strconv.Itoa(rec.Port) ||
		et.info.PublicURL != rec.PublicURL || et.info.Port != rec.Port || !et.info.OpenedAt.Equal(rec.OpenedAt) || et.info.Local != rec.Local {
		t.Fatalf("edge tunnel %+v, projection %+v", et, rec)
	}
}
