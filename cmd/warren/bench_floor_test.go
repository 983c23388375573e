package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"warren/cmd/warren/internal/warrentest"
	"warren/edge/wire"
)

// BenchmarkE2E_Floors puts the tunnel's figures next to the least any relay
// costs on this machine, so a ratio to direct can be read against what is
// possible at all. Each floor is a real process (this test binary re-run as
// TestBenchRelay) that only moves bytes: no HTTP parsing, no capture, no
// routing.
//   - relays: two plain TCP relays in a chain (client → relay → relay →
//     origin), one connection each way per client connection: the hops of a
//     tunnel (edge, agent) without multiplexing. Go splices TCP to TCP, so
//     bulk bytes never enter user space.
//   - yamux: the same two hops joined by one yamux session with Warren's
//     configuration, a stream per client connection, piped with io.Copy.
//
// All four targets (direct, relays, yamux, Warren with capture on) are loaded
// in interleaved rounds with 50 keep-alive connections and 2-byte answers,
// then each serves one 1 GiB download per round; medians are compared.
func BenchmarkE2E_Floors(b *testing.B) {
	const (
		conns  = 50
		rounds = 5
		d      = time.Second
		size   = 1 << 30
	)
	originAddr, _, _ := startBenchOrigin(b)
	relay2 := startBenchRelay(b, "tcp", "127.0.0.1:0", originAddr)
	relay1 := startBenchRelay(b, "tcp", "127.0.0.1:0", relay2)
	muxEdge := startBenchRelay(b, "yamux-edge", "127.0.0.1:0", "127.0.0.1:0")
	publicAddr, agentAddr, _ := strings.Cut(muxEdge, ",")
	startBenchRelay(b, "yamux-agent", agentAddr, originAddr)
	s, _, host := startBenchTunnel(b, originAddr, "floors")
	defer s.Stop(b)

	targets := []struct{ name, addr, host string }{
		{"direct", originAddr, originAddr},
		{"relays", relay1, relay1},
		{"yamux", publicAddr, publicAddr},
		{"warren", s.Addr, host},
	}
	rps := make([][]float64, len(targets))
	bulk := make([][]float64, len(targets))
	for _, t := range targets {
		e2eLoad(b, t.addr, t.host, conns, d/2) // warm up
	}
	for range rounds {
		for i, t := range targets {
			rps[i] = append(rps[i], e2eLoad(b, t.addr, t.host, conns, d).rps())
		}
	}
	for range rounds {
		for i, t := range targets {
			bulk[i] = append(bulk[i], e2eDownload(b, t.addr, t.host, size))
		}
	}
	mid := func(v []float64) float64 {
		s := slices.Clone(v)
		slices.Sort(s)
		return s[len(s)/2]
	}
	b.ReportMetric(0, "ns/op")
	var rpsText, bulkText []string
	for i, t := range targets {
		r, g := mid(rps[i])/mid(rps[0]), mid(bulk[i])/mid(bulk[0])
		if i > 0 {
			b.ReportMetric(r, t.name+"/direct-req/s")
			b.ReportMetric(g, t.name+"/direct-1GiB")
		}
		rpsText = append(rpsText, fmt.Sprintf("%s %.0f (%.2f)", t.name, mid(rps[i]), r))
		bulkText = append(bulkText, fmt.Sprintf("%s %.0f (%.2f)", t.name, mid(bulk[i])/(1<<20), g))
	}
	fmt.Fprintf(os.Stderr, "floors, medians of %d rounds, ratio to direct in parentheses\n  %d conns, req/s: %s\n  1 GiB download, MiB/s: %s\n",
		rounds, conns, strings.Join(rpsText, ", "), strings.Join(bulkText, ", "))
}

// benchRelayEnv holds TestBenchRelay's mode and its two addresses.
const benchRelayEnv = "WARREN_BENCH_RELAY"

var relayLineRe = regexp.MustCompile(`(?m)^relay (\S+)$`)

// startBenchRelay runs this test binary as TestBenchRelay in mode with
// addresses a and b, and returns the address it prints once listening. It is
// killed at cleanup.
func startBenchRelay(tb testing.TB, mode, a, b string) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchRelay$")
	cmd.Env = warrentest.ChildEnv(benchRelayEnv + "=" + mode + " " + a + " " + b)
	out := new(warrentest.LockedBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	tb.Cleanup(func() { cmd.Process.Kill(); <-done })
	deadline := time.After(2 * time.Minute)
	for {
		if m := relayLineRe.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case <-done:
			tb.Fatalf("TestBenchRelay %s exited before it was ready:\n%s", mode, out)
		case <-deadline:
			tb.Fatalf("TestBenchRelay %s not ready within 2 minutes:\n%s", mode, out)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestBenchRelay is BenchmarkE2E_Floors' relay process. Modes:
//   - "tcp LISTEN TARGET": a plain relay, a TARGET connection per client;
//   - "yamux-edge PUBLIC AGENT": takes one agent connection on AGENT, then
//     opens a yamux stream to it per client connection on PUBLIC; prints
//     "relay PUBLIC,AGENT";
//   - "yamux-agent EDGE TARGET": dials EDGE and pipes each stream to a new
//     TARGET connection.
func TestBenchRelay(t *testing.T) {
	args := strings.Fields(os.Getenv(benchRelayEnv))
	if len(args) != 3 {
		t.Skip("BenchmarkE2E_Floors' relay process; runs only under it")
	}
	mode, a, b := args[0], args[1], args[2]
	switch mode {
	case "tcp":
		ln := mustListen(t, a)
		fmt.Printf("relay %s\n", ln.Addr())
		serveRelay(ln, func() (net.Conn, error) { return net.Dial("tcp", b) })
	case "yamux-edge":
		public, agentLn := mustListen(t, a), mustListen(t, b)
		fmt.Printf("relay %s,%s\n", public.Addr(), agentLn.Addr())
		c, err := agentLn.Accept()
		if err != nil {
			t.Fatal(err)
		}
		mux, err := yamux.Server(c, wire.MuxConfig())
		if err != nil {
			t.Fatal(err)
		}
		serveRelay(public, func() (net.Conn, error) { return mux.OpenStream() })
	case "yamux-agent":
		c, err := net.Dial("tcp", a)
		if err != nil {
			t.Fatal(err)
		}
		mux, err := yamux.Client(c, wire.MuxConfig())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("relay %s\n", c.LocalAddr())
		serveRelay(mux, func() (net.Conn, error) { return net.Dial("tcp", b) })
	default:
		t.Fatalf("unknown relay mode %q", mode)
	}
}

func mustListen(t *testing.T, addr string) net.Listener {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// serveRelay pipes every connection ln accepts to one from dial, until ln
// fails (the process is killed at the benchmark's end).
func serveRelay(ln net.Listener, dial func() (net.Conn, error)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			o, err := dial()
			if err != nil {
				return
			}
			defer o.Close()
			go func() { io.Copy(o, c); o.Close() }()
			io.Copy(c, o)
		}()
	}
}
