package acmetest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// DNS is an authoritative server on loopback, UDP and TCP on one port,
// for a few zones: every name under a zone is 127.0.0.1, the apex has an
// SOA, TXT records come from RFC 2136 updates (TSIG-checked when the
// server has a key), which only the first zone takes, as an operator's
// server takes them for the base domain's zone and not for customers'.
// Names outside the zones are refused. It counts the updates it applied.
type DNS struct {
	Addr    string // host:port, UDP and TCP
	zones   []string
	mu      sync.Mutex
	txt     map[string][]string // fqdn → values
	updates int
	servers []*dns.Server
}

// StartDNS serves zones until t's cleanup; tsig maps key names ("name.")
// to base64 secrets that must sign updates (nil: unsigned updates).
func StartDNS(t testing.TB, tsig map[string]string, zones ...string) *DNS {
	t.Helper()
	f := &DNS{txt: map[string][]string{}}
	for _, z := range zones {
		f.zones = append(f.zones, dns.Fqdn(z))
	}
	var pc net.PacketConn
	var ln net.Listener
	for range 20 { // the UDP port may be taken for TCP: try another
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		pc = nil
	}
	if pc == nil {
		t.Fatal("no port free for both UDP and TCP")
	}
	f.Addr = pc.LocalAddr().String()
	// miekg/dns answers NOTIMP to anything but QUERY and NOTIFY by default.
	accept := func(dh dns.Header) dns.MsgAcceptAction {
		if int(dh.Bits>>11)&0xF == dns.OpcodeUpdate {
			return dns.MsgAccept
		}
		return dns.DefaultMsgAcceptFunc(dh)
	}
	started := make(chan struct{}, 2)
	f.servers = []*dns.Server{
		{PacketConn: pc, Handler: f, TsigSecret: tsig, MsgAcceptFunc: accept, NotifyStartedFunc: func() { started <- struct{}{} }},
		{Listener: ln, Handler: f, TsigSecret: tsig, MsgAcceptFunc: accept, NotifyStartedFunc: func() { started <- struct{}{} }},
	}
	var wg sync.WaitGroup
	for _, s := range f.servers {
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.ActivateAndServe() }()
	}
	for range 2 {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("fake DNS did not start")
		}
	}
	t.Cleanup(func() {
		for _, s := range f.servers {
			_ = s.Shutdown()
		}
		wg.Wait()
	})
	return f
}

func (f *DNS) zoneOf(name string) string {
	for _, z := range f.zones {
		if name == z || strings.HasSuffix(name, "."+z) {
			return z
		}
	}
	return ""
}

// ServeDNS answers one message (dns.Handler).
func (f *DNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if r.Opcode == dns.OpcodeUpdate {
		f.update(w, r, m)
	} else if len(r.Question) == 1 {
		f.answer(r.Question[0], m)
	}
	if t := r.IsTsig(); t != nil && w.TsigStatus() == nil {
		m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
	}
	_ = w.WriteMsg(m)
}

func (f *DNS) update(w dns.ResponseWriter, r *dns.Msg, m *dns.Msg) {
	if len(f.servers[0].TsigSecret) > 0 && (r.IsTsig() == nil || w.TsigStatus() != nil) {
		m.Rcode = dns.RcodeRefused
		return
	}
	if len(r.Question) != 1 || !strings.EqualFold(r.Question[0].Name, f.zones[0]) {
		m.Rcode = dns.RcodeNotAuth
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rr := range r.Ns {
		txt, ok := rr.(*dns.TXT)
		if !ok {
			continue
		}
		name := strings.ToLower(txt.Hdr.Name)
		switch txt.Hdr.Class {
		case dns.ClassINET:
			f.txt[name] = append(f.txt[name], strings.Join(txt.Txt, ""))
		case dns.ClassNONE: // delete this one record
			keep := f.txt[name][:0]
			for _, v := range f.txt[name] {
				if v != strings.Join(txt.Txt, "") {
					keep = append(keep, v)
				}
			}
			f.txt[name] = keep
		}
	}
	f.updates++
}

func (f *DNS) answer(q dns.Question, m *dns.Msg) {
	name := strings.ToLower(q.Name)
	zone := f.zoneOf(name)
	if zone == "" {
		m.Rcode = dns.RcodeRefused
		return
	}
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: 1}
	}
	soa := &dns.SOA{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 1},
		Ns: "ns." + zone, Mbox: "hostmaster." + zone, Serial: 1, Refresh: 60, Retry: 60, Expire: 60, Minttl: 1}
	switch {
	case q.Qtype == dns.TypeSOA && name == zone:
		m.Answer = append(m.Answer, soa)
	case q.Qtype == dns.TypeA:
		m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: net.IPv4(127, 0, 0, 1)})
	case q.Qtype == dns.TypeTXT:
		f.mu.Lock()
		for _, v := range f.txt[name] {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: []string{v}})
		}
		f.mu.Unlock()
	}
	if len(m.Answer) == 0 {
		m.Ns = append(m.Ns, soa) // NOERROR/NODATA, with the zone's SOA
	}
}

// UpdateCount is how many updates it applied.
func (f *DNS) UpdateCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.updates
}

// TXT is the TXT values of name (a lower-case FQDN).
func (f *DNS) TXT(name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.txt[name]...)
}

// Resolver is a Go resolver that asks this server only.
func (f *DNS) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, f.Addr)
	}}
}
