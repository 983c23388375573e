package cli

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

// A gzip-encoded body is shown decoded; a long binary one is dumped up to
// hexDumpMax and the rest counted; text with no type stays as it is.
func TestBodyViewDecodesGzipAndCutsLongBinary(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(`{"a":1}`))
	zw.Close()
	if text, note := bodyView(z.Bytes(), "application/json", "gzip"); text != "{\n  \"a\": 1\n}" || note != "gzip decoded, JSON indented" {
		t.Errorf("gzip JSON: %q (%s)", text, note)
	}
	bin := bytes.Repeat([]byte{0, 1, 2, 3}, 300)
	text, note := bodyView(bin, "application/octet-stream", "")
	if !strings.HasSuffix(text, "… 688 more bytes\n") || strings.Count(text, "\n") != hexDumpMax/16+1 || note != "binary, hex dump" {
		t.Errorf("binary: %d lines, ends %q (%s)", strings.Count(text, "\n"), text[len(text)-40:], note)
	}
	if text, note := bodyView([]byte("plain words\n"), "", ""); text != "plain words\n" || note != "" {
		t.Errorf("text: %q (%s)", text, note)
	}
}
