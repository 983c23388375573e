package httpapi

import (
	"encoding/base64"
	"testing"
	"time"

	"warren/domain"
)

// A HAR body is text when it is UTF-8 (a truncated one cut inside a
// character too), base64 otherwise with every stored byte, and a truncated
// one says so either way.
func TestBodyText(t *testing.T) {
	euro := []byte("price: 5€") // € is 3 bytes
	cut := euro[:len(euro)-1]   // truncated inside the €
	bin := []byte{0xff, 0x00, 0xe2, 0x82}
	full := func(b []byte) domain.BodyInfo { return domain.BodyInfo{Size: int64(len(b)), Stored: int64(len(b))} }
	trunc := func(b []byte, size int64) domain.BodyInfo {
		return domain.BodyInfo{Size: size, Stored: int64(len(b)), Truncated: true}
	}
	pruned := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		b        []byte
		info     domain.BodyInfo
		prunedAt time.Time
		text     string
		b64      bool
		note     string
	}{
		{"Text", euro, full(euro), time.Time{}, "price: 5€", false, ""},
		{"Binary", bin, full(bin), time.Time{}, base64.StdEncoding.EncodeToString(bin), true, ""},
		{"TruncatedText", euro, trunc(euro, 100), time.Time{}, "price: 5€", false, "truncated at capture to 11 of 100 bytes"},
		{"TruncatedInsideARune", cut, trunc(cut, 100), time.Time{}, "price: 5", false, "truncated at capture to 10 of 100 bytes"},
		{"TruncatedBinary", bin, trunc(bin, 100), time.Time{}, base64.StdEncoding.EncodeToString(bin), true, "truncated at capture to 4 of 100 bytes"},
		{"NotStored", nil, domain.BodyInfo{Size: 5}, time.Time{}, "", false, "body not stored"},
		{"Pruned", nil, full(euro), pruned, "", false, "body pruned by retention at 2026-11-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, b64, note := bodyText(tt.b, tt.info, tt.prunedAt)
			if text != tt.text || b64 != tt.b64 || note != tt.note {
				t.Fatalf("bodyText = %q, %v, %q; want %q, %v, %q", text, b64, note, tt.text, tt.b64, tt.note)
			}
		})
	}
}
