package events

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// FuzzCapturedRequestJSON holds AppendJSON to encoding/json, byte for byte:
// the log stores what it appends, and rebuild decodes it.
func FuzzCapturedRequestJSON(f *testing.F) {
	f.Add("GET", "/webhook?x=1&y=<2>", "Stripe/1.0", "Stripe-Signature", "t=1,v1=abc", 0.42, 1.7, int64(512), int64(0), true)
	f.Add("", "", "", "", "", 0.0, 0.0, int64(0), int64(-1), false)
	f.Add("PO\x00ST", "/caf\xe9\u2028\u2029", "bad\xff\xfe", "X-\"Quote\"", "a\\b\tc\n\r\b\f", 1e-7, 1e21, int64(math.MaxInt64), int64(math.MinInt64), true)
	f.Add("PUT", "/ü/ñ/日本", "<script>&amp;</script>", "", "", 123456789.123, 5e-324, int64(1), int64(1700000000), false)
	f.Fuzz(func(t *testing.T, method, path, ua, hk, hv string, ttfb, dur float64, bytesIn, unix int64, withMaps bool) {
		p := RequestCapturedV3{TunnelID: "tun_1", Tunnel: path, Kind: "http", Method: method, Path: path,
			Status: int(bytesIn % 1000), TTFBMs: ttfb, DurationMs: dur, BytesIn: bytesIn, BytesOut: -bytesIn, IP: ua,
			UserAgent: ua, Proto: method, Host: hv, Error: hk, ReplayOf: ua,
			ReqBody:  BodyV1{Size: bytesIn, Stored: unix, SHA256: hv, Truncated: withMaps},
			RespBody: BodyV1{Size: unix, SHA256: ""}}
		if withMaps {
			p.ReqHeaders = map[string][]string{hk: {hv, ua}, "Content-Type": {"application/json"}, path: nil}
			p.RespHeaders = map[string][]string{ua: {}, method: {hv}}
			p.Secret = &SecretHeadersV2{Request: []string{hk}}
			if unix%2 == 0 {
				p.Secret = &SecretHeadersV2{Request: []string{hk, hv}, Response: []string{ua}}
			}
			if unix%3 == 0 {
				p.Secret = &SecretHeadersV2{Response: []string{}}
			}
			p.Modified, p.Overrides = unix%5 != 0, []string{hk, OverrideBody}
		}
		want, wantErr := json.Marshal(p)
		got, gotErr := p.AppendJSON(nil)
		if (wantErr != nil) != (gotErr != nil) {
			t.Fatalf("errors differ: encoding/json %v, AppendJSON %v", wantErr, gotErr)
		}
		if wantErr == nil && !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON\n got %s\nwant %s", got, want)
		}
	})
}

func BenchmarkCapturedRequestJSON(b *testing.B) {
	p := RequestCapturedV3{TunnelID: "tun_01JABCDEFGHJKMNPQRSTVWXYZ0", Tunnel: "bench-app", Kind: "http", Method: "GET", Path: "/",
		Status: 200, TTFBMs: 0.123456, DurationMs: 0.234567, BytesOut: 2, IP: "127.0.0.1", UserAgent: "Go-http-client/1.1",
		Proto: "HTTP/1.1", Host: "bench-app.warren.test",
		ReqHeaders:  map[string][]string{"User-Agent": {"Go-http-client/1.1"}, "Accept-Encoding": {"gzip"}},
		RespHeaders: map[string][]string{"Content-Length": {"2"}, "Content-Type": {"text/plain; charset=utf-8"}, "Date": {"Tue, 24 Nov 2026 19:41:12 GMT"}},
		RespBody:    BodyV1{Size: 2, Stored: 2, SHA256: "2689367b205c16ce32ed4200942b8b8b1e262dfc70d9bc9fbc77c49699a4f1df"}}
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			json.Marshal(p)
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		for b.Loop() {
			p.AppendJSON(make([]byte, 0, 1024))
		}
	})
}
