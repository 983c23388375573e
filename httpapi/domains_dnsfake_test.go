package httpapi

import (
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
)

// fakeDNS is a tiny authoritative DNS server on 127.0.0.1 (UDP) answering
// TXT queries from a table, NXDOMAIN for names it doesn't know. It speaks
// just enough of RFC 1035 for Go's resolver.
type fakeDNS struct {
	conn *net.UDPConn
	mu   sync.Mutex
	txt  map[string][]string // lowercase name without the trailing dot
}

// startFakeDNS starts one for the test; it stops at cleanup.
func startFakeDNS(t testing.TB) *fakeDNS {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDNS{conn: conn, txt: map[string][]string{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.serve()
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	return f
}

// Addr is the host:port to give as --dns-resolver.
func (f *fakeDNS) Addr() string { return f.conn.LocalAddr().String() }

// SetTXT publishes (or, with no values, withdraws) name's TXT records.
func (f *fakeDNS) SetTXT(name string, values ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if len(values) == 0 {
		delete(f.txt, name)
		return
	}
	f.txt[name] = values
}

func (f *fakeDNS) serve() {
	buf := make([]byte, 4096)
	for {
		n, from, err := f.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if resp, ok := f.answer(buf[:n]); ok {
			_, _ = f.conn.WriteToUDP(resp, from)
		}
	}
}

const (
	dnsTypeTXT  = 16
	dnsClassIN  = 1
	dnsNXDomain = 3
)

// answer builds the response to one query; ok is false for garbage.
func (f *fakeDNS) answer(q []byte) ([]byte, bool) {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil, false
	}
	// The question: labels up to the root, then type and class.
	var labels []string
	i := 12
	for {
		if i >= len(q) {
			return nil, false
		}
		l := int(q[i])
		i++
		if l == 0 {
			break
		}
		if l > 63 || i+l > len(q) {
			return nil, false
		}
		labels = append(labels, string(q[i:i+l]))
		i += l
	}
	if i+4 > len(q) {
		return nil, false
	}
	qtype := binary.BigEndian.Uint16(q[i:])
	question := q[12 : i+4]
	name := strings.ToLower(strings.Join(labels, "."))

	f.mu.Lock()
	values, known := f.txt[name]
	f.mu.Unlock()

	var answers [][]byte
	if known && qtype == dnsTypeTXT {
		for _, v := range values {
			answers = append(answers, txtRR(v))
		}
	}
	out := make([]byte, 12, 512)
	binary.BigEndian.PutUint16(out[0:], binary.BigEndian.Uint16(q[0:])) // id
	flags := uint16(0x8000 | 0x0400 | 0x0080)                           // QR, AA, RA
	flags |= binary.BigEndian.Uint16(q[2:]) & 0x0100                    // RD as asked
	if !known {
		flags |= dnsNXDomain
	}
	binary.BigEndian.PutUint16(out[2:], flags)
	binary.BigEndian.PutUint16(out[4:], 1)
	binary.BigEndian.PutUint16(out[6:], uint16(len(answers)))
	out = append(out, question...)
	for _, a := range answers {
		out = append(out, a...)
	}
	return out, true
}

// txtRR is one TXT answer for the question's name (a pointer to offset 12).
func txtRR(v string) []byte {
	var rdata []byte
	for len(v) > 0 || rdata == nil {
		chunk := v[:min(len(v), 255)]
		v = v[len(chunk):]
		rdata = append(rdata, byte(len(chunk)))
		rdata = append(rdata, chunk...)
	}
	rr := []byte{0xC0, 12}
	rr = binary.BigEndian.AppendUint16(rr, dnsTypeTXT)
	rr = binary.BigEndian.AppendUint16(rr, dnsClassIN)
	rr = binary.BigEndian.AppendUint32(rr, 60)
	rr = binary.BigEndian.AppendUint16(rr, uint16(len(rdata)))
	return append(rr, rdata...)
}
