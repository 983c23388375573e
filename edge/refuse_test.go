package edge

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"warren/domain"
	"warren/edge/wire"
)

// yamux frames by hand (spec.md of hashicorp/yamux): a 12-byte header,
// version, type, flags, stream id, length.
const (
	frameData   = 0
	frameWindow = 1
	framePing   = 2
	flagSYN     = 1
	flagACK     = 2
	flagRST     = 8
)

func frame(typ byte, flags uint16, id, length uint32) []byte {
	h := make([]byte, 12)
	h[1] = typ
	binary.BigEndian.PutUint16(h[2:], flags)
	binary.BigEndian.PutUint32(h[4:], id)
	binary.BigEndian.PutUint32(h[8:], length)
	return h
}

// frameAgent speaks yamux frames itself, so it can do what a yamux client
// would refuse to (open streams after the server's GoAway).
type frameAgent struct {
	c      net.Conn
	wmu    sync.Mutex
	mu     sync.Mutex
	resets map[uint32]bool
	ctl    strings.Builder // data received on the control stream (id 1)
	pong   chan struct{}
	done   chan struct{}
}

func (a *frameAgent) write(tb testing.TB, b ...[]byte) {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	for _, p := range b {
		if _, err := a.c.Write(p); err != nil {
			tb.Error(err)
			return
		}
	}
}

// read parses the server's frames until the connection ends.
func (a *frameAgent) read() {
	defer close(a.done)
	r := bufio.NewReader(a.c)
	h := make([]byte, 12)
	for {
		if _, err := io.ReadFull(r, h); err != nil {
			return
		}
		typ, flags := h[1], binary.BigEndian.Uint16(h[2:])
		id, n := binary.BigEndian.Uint32(h[4:]), binary.BigEndian.Uint32(h[8:])
		switch typ {
		case frameData:
			body := make([]byte, n)
			if _, err := io.ReadFull(r, body); err != nil {
				return
			}
			if id == 1 {
				a.mu.Lock()
				a.ctl.Write(body)
				a.mu.Unlock()
			}
		case framePing:
			if flags&flagACK != 0 {
				select {
				case a.pong <- struct{}{}:
				default:
				}
			}
		}
		if flags&flagRST != 0 {
			a.mu.Lock()
			a.resets[id] = true
			a.mu.Unlock()
		}
	}
}

func (a *frameAgent) resetCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.resets)
}

// Streams an agent opens beyond its control stream are reset at once, so
// what it writes into them is never buffered: 1,000 streams of 256 KiB each
// (their whole initial window) leave the server's heap far below 256 MiB,
// and the session serves on.
func TestAgentOpenedStreamsAreRefused(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "streams@example.com", "pro")
	origin := MustOrigin(t, nil)
	c, status := rawUpgrade(t, te.addr, key)
	defer c.Close()
	if !strings.Contains(status, " 101 ") {
		t.Fatalf("upgrade answered %q", status)
	}
	a := &frameAgent{c: c, resets: map[uint32]bool{}, pong: make(chan struct{}, 1), done: make(chan struct{})}
	go a.read()
	defer func() { c.Close(); <-a.done }()

	open, _ := json.Marshal(wire.Msg{V: wire.Version, Type: wire.TypeOpen, Ref: "1", Proto: domain.ProtoHTTP, Subdomain: "many-streams", Local: origin})
	open = append(open, '\n')
	a.write(t, frame(frameWindow, flagSYN, 1, 0), frame(frameData, 0, 1, uint32(len(open))), open)
	eventually(t, 10*time.Second, "tunnel opened", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return strings.Contains(a.ctl.String(), `"type":"opened"`)
	})
	ping := func() {
		a.write(t, frame(framePing, flagSYN, 0, 7))
		select {
		case <-a.pong:
		case <-time.After(30 * time.Second):
			t.Fatal("no pong")
		}
	}
	ping()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	const streams, size = 1000, 256 << 10
	body := make([]byte, size)
	for i := range streams {
		id := uint32(3 + 2*i)
		a.write(t, frame(frameWindow, flagSYN, id, 0), frame(frameData, 0, id, size), body)
	}
	ping() // the server has read every frame before it answers
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("heap in use grew by %d MiB for %d streams of %d KiB", grew>>20, streams, size>>10)
	if grew > 32<<20 {
		t.Errorf("server heap grew by %d MiB, want far less than %d MiB", grew>>20, streams*size>>20)
	}
	eventually(t, 10*time.Second, "every agent-opened stream reset", func() bool { return a.resetCount() == streams })
	select {
	case <-a.done:
		t.Fatal("the session ended: refusing streams should not end it")
	default:
	}
	if tun := te.srv.lookupHost("many-streams"); tun == nil || tun.gone() {
		t.Fatal("the agent's tunnel went offline")
	}
}

// A stream the agent opens together with its control stream (before the
// server's GoAway could refuse it) ends the session: it would hold its
// window of data until then.
func TestAgentStreamBeforeGoAwayEndsSession(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "early@example.com", "pro")
	c, status := rawUpgrade(t, te.addr, key)
	defer c.Close()
	if !strings.Contains(status, " 101 ") {
		t.Fatalf("upgrade answered %q", status)
	}
	a := &frameAgent{c: c, resets: map[uint32]bool{}, pong: make(chan struct{}, 1), done: make(chan struct{})}
	go a.read()
	a.write(t, frame(frameWindow, flagSYN, 1, 0), frame(frameWindow, flagSYN, 3, 0), frame(frameData, 0, 3, 1024), make([]byte, 1024))
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the session of an agent that opened a second stream went on")
	}
}
