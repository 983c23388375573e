package events_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/events"
)

func sampleEvent() events.Event {
	ev := events.Event{
		ID:      ulid.MustNew(ulid.Timestamp(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)), bytes.NewReader(make([]byte, 16))),
		Type:    events.ReservationCreated,
		Account: "acc_01HZZZZZZZZZZZZZZZZZZZZZZZ",
		At:      time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC),
		Version: 1,
		Data:    json.RawMessage(`{"subdomain":"myapp"}`),
	}
	for i := range ev.Prev {
		ev.Prev[i] = byte(i)
	}
	return ev
}

func TestEncode_RoundTrip(t *testing.T) {
	cases := map[string]func(*events.Event){
		"Full":       func(*events.Event) {},
		"NoAccount":  func(e *events.Event) { e.Account = "" },
		"EmptyData":  func(e *events.Event) { e.Data = json.RawMessage(`{}`) },
		"BigData":    func(e *events.Event) { e.Data = json.RawMessage(`"` + strings.Repeat("x", 100000) + `"`) },
		"LongType":   func(e *events.Event) { e.Type = events.Type(strings.Repeat("t", 255)) },
		"Version9":   func(e *events.Event) { e.Version = 9 },
		"ZeroPrev":   func(e *events.Event) { e.Prev = [32]byte{} },
		"PreEpochAt": func(e *events.Event) { e.At = time.Date(1969, 1, 1, 0, 0, 0, 1, time.UTC) },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			ev := sampleEvent()
			mod(&ev)
			raw, err := events.Encode(&ev)
			if err != nil {
				t.Fatal(err)
			}
			got, err := events.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != ev.ID || got.Type != ev.Type || got.Account != ev.Account || !got.At.Equal(ev.At) ||
				got.Version != ev.Version || got.Prev != ev.Prev || !bytes.Equal(got.Data, ev.Data) {
				t.Fatalf("round trip changed the event:\n got %+v\nwant %+v", got, ev)
			}
			if got.At.Location() != time.UTC {
				t.Fatalf("decoded time not UTC: %v", got.At.Location())
			}
			// Decode must not alias its input: scribbling on raw leaves got intact.
			for i := range raw {
				raw[i] = 0xAA
			}
			if !bytes.Equal(got.Data, ev.Data) {
				t.Fatal("decoded data aliases the input bytes")
			}
		})
	}
	t.Run("ErrEmptyType", func(t *testing.T) {
		ev := sampleEvent()
		ev.Type = ""
		if _, err := events.Encode(&ev); err == nil {
			t.Fatal("encoded an event without a type")
		}
	})
	t.Run("ErrTypeTooLong", func(t *testing.T) {
		ev := sampleEvent()
		ev.Type = events.Type(strings.Repeat("t", 256))
		if _, err := events.Encode(&ev); err == nil {
			t.Fatal("encoded a 256-byte type")
		}
	})
}

func TestDecode_Errors(t *testing.T) {
	ev := sampleEvent()
	good, err := events.Encode(&ev)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"Empty":        nil,
		"Short":        good[:40],
		"Format2":      append([]byte{2}, good[1:]...),
		"TruncatedHdr": good[:60],
		"NotJSON":      append(append([]byte(nil), good[:len(good)-1]...), '{'),
		"ZeroTypeLen":  func() []byte { b := append([]byte(nil), good...); b[59] = 0; return b }(),
		"HugeAcctLen": func() []byte {
			b := append([]byte(nil), good...)
			p := 59 + 1 + len(ev.Type)
			b[p], b[p+1] = 0xff, 0xff
			return b
		}(),
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := events.Decode(b); err == nil {
				t.Fatalf("Decode accepted %q", b)
			}
		})
	}
}

func TestEvent_MarshalJSON(t *testing.T) {
	ev := sampleEvent()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["id"] != ev.ID.String() || got["type"] != "reservation.created" || got["at"] != "2026-05-01T12:00:00.123456789Z" ||
		got["v"] != 1.0 || got["data"].(map[string]any)["subdomain"] != "myapp" {
		t.Fatalf("JSON form = %s", b)
	}
	var d events.ReservationData
	if err := ev.DecodeData(&d); err != nil || d.Subdomain != "myapp" {
		t.Fatalf("DecodeData = %+v, %v", d, err)
	}
	if err := ev.DecodeData(&[]int{}); err == nil {
		t.Fatal("DecodeData into the wrong type succeeded")
	}
}

func FuzzDecode(f *testing.F) {
	ev := sampleEvent()
	good, _ := events.Encode(&ev)
	f.Add(good)
	ev.Account = ""
	ev.Data = json.RawMessage(`[1,2,{"a":null}]`)
	noAcct, _ := events.Encode(&ev)
	f.Add(noAcct)
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(good[:62])
	f.Add(append([]byte{2}, good[1:]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := events.Decode(b)
		if err != nil {
			return
		}
		raw, err := events.Encode(&ev)
		if err != nil {
			t.Fatalf("decoded event does not re-encode: %v", err)
		}
		ev2, err := events.Decode(raw)
		if err != nil {
			t.Fatalf("re-encoded event does not decode: %v", err)
		}
		raw2, err := events.Encode(&ev2)
		if err != nil || !bytes.Equal(raw, raw2) {
			t.Fatalf("decode→encode not stable:\n%x\n%x", raw, raw2)
		}
		if ev2.ID != ev.ID || ev2.Type != ev.Type || ev2.Account != ev.Account || !ev2.At.Equal(ev.At) ||
			ev2.Version != ev.Version || ev2.Prev != ev.Prev || !bytes.Equal(ev2.Data, ev.Data) {
			t.Fatalf("decode→encode→decode changed the event")
		}
	})
}
