package edge

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"warren/domain"
	"warren/edge/agent"
	"warren/projections"
)

// TestReservedTCPPortIsItsHoldersOnly: a TCP port an account reserved is
// never handed out to another account's tunnel, asked for or not; the
// holder's agent asking for it gets it; released, it returns to the pool.
func TestReservedTCPPortIsItsHoldersOnly(t *testing.T) {
	te := MustEdge(t, func(c *Config) { c.TCPPorts = quietPortPair(t) })
	lo, hi := te.srv.cfg.TCPPorts[0], te.srv.cfg.TCPPorts[1]
	accA, keyA := te.MustAccount(t, "holder@example.com", "pro")
	_, keyB := te.MustAccount(t, "other@example.com", "pro")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := te.log.Execute(ctx, projections.ReservePort(accA, hi, lo, hi)); err != nil {
		t.Fatal(err)
	}
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tcp := func(want int) agent.Spec { return agent.Spec{Proto: domain.ProtoTCP, Local: origin, WantPort: want} }

	b := te.MustAgent(t, keyB)
	tb, err := b.Open(ctx, tcp(0))
	if err != nil || tb.Port != lo {
		t.Fatalf("another account's TCP tunnel: %+v %v, want port %d", tb, err, lo)
	}
	if got, err := b.Open(ctx, tcp(0)); err == nil {
		t.Fatalf("round robin handed out the reserved port %d", got.Port)
	}
	var de *domain.Error
	if got, err := b.Open(ctx, tcp(hi)); err == nil || !errors.As(err, &de) || de.Code != domain.CodeConflict {
		t.Fatalf("another account asking for the reserved port: %+v %v, want a conflict", got, err)
	}

	a := te.MustAgent(t, keyA)
	ta, err := a.Open(ctx, tcp(hi))
	if err != nil || ta.Port != hi {
		t.Fatalf("the holder's TCP tunnel: %+v %v, want port %d", ta, err, hi)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "port freed", func() bool { return !te.tunnelRecord(t, ta.ID).Live() })
	if _, err := te.log.Execute(ctx, projections.ReleasePort(accA, hi)); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Open(ctx, tcp(0)); err != nil || got.Port != hi {
		t.Fatalf("after the release: %+v %v, want port %d back in the pool", got, err, hi)
	}
}

// quietPortPair returns two consecutive free ports below the ephemeral
// range, where no outgoing connection of the test takes one meanwhile
// (freePortRange's second port is the next ephemeral one, often the
// agent's own connection).
func quietPortPair(tb testing.TB) [2]int {
	tb.Helper()
	for range 100 {
		p := 20000 + rand.IntN(10000)
		l1, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+1))
		l1.Close()
		if err != nil {
			continue
		}
		l2.Close()
		return [2]int{p, p + 1}
	}
	tb.Fatal("no two free ports")
	return [2]int{}
}
