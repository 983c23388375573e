package events

import (
	"bytes"
	"testing"

	"warren/domain"
)

// TestHeadsAreTheHTTP1TextOfTheExchange: a GET's heads count as the bytes
// net/http writes for them, and the live value, its stored JSON (with
// escapes, a sealed header and a nil value list) and the edge's own
// record all measure the same.
func TestHeadsAreTheHTTP1TextOfTheExchange(t *testing.T) {
	r := domain.CapturedRequest{Kind: domain.KindHTTP, Method: "GET", Path: "/x", Proto: "HTTP/1.1", Host: "a.example", Status: 200,
		ReqHeaders: map[string][]string{"Accept": {"*/*"}}, RespHeaders: map[string][]string{"Content-Length": {"2"}}}
	// "GET /x HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\n\r\n" and
	// "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
	want := Heads{In: 17 + 17 + 13 + 2, Out: 17 + 19 + 2}
	if got := CapturedHeads(&r); got != want {
		t.Fatalf("CapturedHeads = %+v, want %+v", got, want)
	}

	r.ReqHeaders = map[string][]string{"Accept": {"a<b>&\"c\u2028"}, "Authorization": {"Bearer ak_secret"}, "X-Nil": nil}
	d := CapturedDraft("acc_1", r.CreatedAt, r, nil, nil)
	p := d.Data.(RequestCapturedData)
	data, err := p.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	live := &Event{Type: RequestCaptured, Version: p.payloadVersion(), Data: data, value: p}
	stored := &Event{Type: RequestCaptured, Version: p.payloadVersion(), Data: data}
	dec, err := NewDecoder(DecodeOptions{SkipHeaders: true}).Decode(stored)
	if err != nil {
		t.Fatal(err)
	}
	fromLive, err := EventHeads(live, &p)
	if err != nil {
		t.Fatal(err)
	}
	fromStored, err := EventHeads(stored, dec.(*RequestCapturedData))
	if err != nil {
		t.Fatal(err)
	}
	sealed := r
	sealed.ReqHeaders = p.ReqHeaders
	if fromLive != fromStored || fromLive != CapturedHeads(&sealed) {
		t.Fatalf("live %+v, stored %+v, edge %+v", fromLive, fromStored, CapturedHeads(&sealed))
	}
	if fromLive.In <= want.In {
		t.Fatalf("request head %d does not count the added headers", fromLive.In)
	}

	t.Run("TCP", func(t *testing.T) {
		if h := CapturedHeads(&domain.CapturedRequest{Kind: domain.KindTCP, Proto: "tcp", Host: "tcp://x:1"}); h != (Heads{}) {
			t.Fatalf("a TCP connection has heads %+v", h)
		}
	})
	t.Run("NoAnswer", func(t *testing.T) {
		if h := CapturedHeads(&domain.CapturedRequest{Kind: domain.KindHTTP, Method: "GET", Path: "/", Proto: "HTTP/1.1", Status: 499}); h.Out != 0 {
			t.Fatalf("a request the client left has a response head of %d", h.Out)
		}
	})
}

// BenchmarkCapturedDecode prices measuring the heads of a stored capture
// (rebuild's path) against the decode the projections did already.
func BenchmarkCapturedDecode(b *testing.B) {
	p := goldenCapturedV3()
	data, err := p.AppendJSON(nil)
	if err != nil {
		b.Fatal(err)
	}
	ev := &Event{Type: RequestCaptured, Version: p.payloadVersion(), Data: data}
	dec := NewDecoder(DecodeOptions{SkipHeaders: true})
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dec.Decode(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Heads", func(b *testing.B) {
		b.ReportAllocs()
		d, _ := dec.Decode(ev)
		for b.Loop() {
			if _, err := EventHeads(ev, d.(*RequestCapturedData)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestFastHeadScanAgreesWithTheTokenizer: the byte walk over stored
// captures measures what the JSON tokenizer measures, and gives up (to
// the tokenizer) on what it does not expect rather than guess.
func TestFastHeadScanAgreesWithTheTokenizer(t *testing.T) {
	v1 := goldenCapturedV1()
	var docs [][]byte
	for _, v := range []any{v1, goldenCapturedV2(), goldenCapturedV3(), RequestCapturedV2{Kind: "http"},
		RequestCapturedV2{Kind: "http", Path: `/"requestHeaders":{"X":["y"]}`, UserAgent: `\"a"`, ReqHeaders: map[string][]string{"Host": {"h"}, "X-Nil": nil, "E": {"\u2028<&>\"\\\t"}, "Ünï": {"çödé", ""}},
			RespHeaders: map[string][]string{"requestHeaders": {"[1]", "{}"}}}} {
		docs = append(docs, encodeGolden(t, v))
	}
	docs = append(docs, []byte(`{"kind":"http", "requestHeaders":{"A":["b"]}}`), []byte(`{"requestHeaders":null,"responseHeaders":{"A":["\ud83d\ude00"]}}`), []byte(`{}`))
	for _, d := range docs {
		s := new(headScanner)
		wantIn, wantOut, wantHost, err := s.scan(d)
		if err != nil {
			t.Fatalf("tokenizer on %s: %v", d, err)
		}
		var tmp []byte
		in, out, host, ok := fastHeaderBytes(d, &tmp)
		if ok && (in != wantIn || out != wantOut || host != wantHost) {
			t.Errorf("%s\nfast %d %d %v, tokenizer %d %d %v", d, in, out, host, wantIn, wantOut, wantHost)
		}
		if !ok && !bytes.Contains(d, []byte(", ")) {
			t.Errorf("fast scan gave up on the compact %s", d)
		}
		if in, out, host, err := scanHeaderBytes(d); err != nil || in != wantIn || out != wantOut || host != wantHost {
			t.Errorf("scanHeaderBytes(%s) = %d %d %v %v", d, in, out, host, err)
		}
	}
}
