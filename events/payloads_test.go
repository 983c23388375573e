package events

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"warren/domain"
)

// FuzzLiveCapturedEqualsItsDecoding: the payload the edge appends is what
// decoding its stored JSON gives back, so the projections may take the live
// value (DecodePayload's fast path) and rebuild still finds what the live
// path stored, invalid UTF-8 included.
func FuzzLiveCapturedEqualsItsDecoding(f *testing.F) {
	f.Add("GET", "/caf\xe9\xff", "ua\x80", "X-Bad\xfe", "v\xc3", 0.5, int64(12), true)
	f.Add("", "", "", "", "", 0.0, int64(0), false)
	f.Add("POST", "/\u2028<x>&", "日本", "Authorization", "Bearer s", 1e21, int64(-1), true)
	f.Fuzz(func(t *testing.T, method, path, ua, hk, hv string, dur float64, n int64, withMaps bool) {
		r := domain.CapturedRequest{TunnelID: "tun_1", Tunnel: path, Kind: domain.KindHTTP, Method: method, Path: path,
			Status: int(n % 600), DurationMs: dur, BytesIn: n, BytesOut: -n, IP: ua, UserAgent: ua, Proto: method, Host: hv,
			ReqBody: domain.BodyInfo{Size: n, SHA256: hv}, Error: hk, ReplayOf: ua}
		if withMaps {
			r.ReqHeaders = map[string][]string{hk: {hv, ua}, "Content-Type": {"application/json"}, path: nil}
			r.RespHeaders = map[string][]string{ua: {}, method: {hv}}
		}
		p := CapturedFromDomain(r)
		data, err := p.AppendJSON(nil)
		if err != nil {
			t.Skip(err) // NaN or ±Inf: the append fails, nothing is stored
		}
		ev := Event{Type: RequestCaptured, Version: 2, Data: data}
		dec, err := DecodePayload(&ev)
		if err != nil {
			t.Fatalf("%v: %s", err, data)
		}
		want := p
		want.checked = false
		if !reflect.DeepEqual(dec, &want) {
			t.Fatalf("decoded %#v\nlive    %#v", dec, &want)
		}
		ev.value = p
		if live, err := DecodePayload(&ev); err != nil || !reflect.DeepEqual(live, dec) {
			t.Fatalf("live value %#v, %v", live, err)
		}
	})
}

func TestDecodePayload(t *testing.T) {
	t.Run("ErrNewerVersion", func(t *testing.T) {
		ev := Event{Type: RequestCaptured, Version: 4, Data: json.RawMessage(`{}`)}
		if _, err := DecodePayload(&ev); domain.ErrorCode(err) != domain.CodeInternal {
			t.Fatalf("v4 decoded: %v", err)
		}
	})
	t.Run("ErrBadData", func(t *testing.T) {
		ev := Event{Type: KeyRevoked, Version: 1, Data: json.RawMessage(`{"keyId":7}`)}
		if _, err := DecodePayload(&ev); domain.ErrorCode(err) != domain.CodeInternal {
			t.Fatalf("bad data decoded: %v", err)
		}
	})
	t.Run("UnknownTypeSkipped", func(t *testing.T) {
		ev := Event{Type: "thing.invented_later", Version: 9, Data: json.RawMessage(`{}`)}
		if p, err := DecodePayload(&ev); p != nil || err != nil {
			t.Fatalf("unknown type gave %v, %v", p, err)
		}
	})
	t.Run("SkipHeaders", func(t *testing.T) {
		ev := Event{Type: RequestCaptured, Version: 2, Data: mustGolden(t, "request.captured.v2")}
		p, err := NewDecoder(DecodeOptions{SkipHeaders: true}).Decode(&ev)
		v2 := goldenCapturedV2()
		want := *v2.upgrade()
		want.ReqHeaders, want.RespHeaders = nil, nil
		if err != nil || !reflect.DeepEqual(p, &want) {
			t.Fatalf("decoded %#v, %v", p, err)
		}
	})
	t.Run("LiveValueUnchecked", func(t *testing.T) {
		// A payload built by hand (not by CapturedFromDomain) may hold
		// invalid UTF-8: the live path decodes its JSON, as rebuild will.
		p := RequestCapturedV3{Tunnel: "t\xff", Kind: "http"}
		data, _ := p.AppendJSON(nil)
		ev := Event{Type: RequestCaptured, Version: 3, Data: data, value: p}
		dec, err := DecodePayload(&ev)
		if err != nil || dec.(*RequestCapturedV3).Tunnel != "t\uFFFD" {
			t.Fatalf("decoded %#v, %v", dec, err)
		}
	})
}

// TestAppendStampsThePayloadVersion: the envelope's version is the
// payload's; a domain value or raw JSON is version 1 unless the draft says.
func TestAppendStampsThePayloadVersion(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "warren.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cr := domain.CapturedRequest{Tunnel: "hooks", Kind: domain.KindHTTP, Status: 200,
		ReqHeaders: map[string][]string{"Authorization": {"Bearer s"}, "Accept": {"*/*"}}}
	evs, err := l.Append(context.Background(),
		Draft{Type: RequestCaptured, Account: "acc_a", Data: CapturedFromDomain(cr)},
		Draft{Type: RequestCaptured, Account: "acc_a", Data: cr},
		Draft{Type: RequestCaptured, Account: "acc_a", Data: json.RawMessage(`{"tunnel":"raw","kind":"http"}`)},
		Draft{Type: RequestCaptured, Account: "acc_a", Data: json.RawMessage(`{"tunnel":"raw","kind":"http"}`), Version: 2},
		Draft{Type: KeyRevoked, Account: "acc_a", Data: KeyRevokedData{KeyID: "key_1"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{3, 1, 1, 2, 1} {
		if evs[i].Version != want {
			t.Errorf("event %d (%T) stamped v%d, want v%d", i, evs[i].Value(), evs[i].Version, want)
		}
		stored, ok, err := l.Get(evs[i].ID)
		if err != nil || !ok || stored.Version != want {
			t.Fatalf("stored %d: v%d %v %v", i, stored.Version, ok, err)
		}
		for _, dec := range []*Decoder{nil, NewDecoder(DecodeOptions{SkipHeaders: true})} {
			live, err1 := dec.Decode(&evs[i])
			read, err2 := dec.Decode(&stored)
			if err1 != nil || err2 != nil || !reflect.DeepEqual(live, read) {
				t.Errorf("event %d: live %#v (%v), read back %#v (%v)", i, live, err1, read, err2)
			}
		}
	}
}

func mustGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
