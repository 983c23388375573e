package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"
)

// hexDumpMax is how much of a binary body `requests show` dumps; the rest
// is counted.
const hexDumpMax = 512

// bodyView renders a captured body for people, by its content type: JSON
// indented, a form decoded to one field a line, text as it is, anything
// else as a hex dump of its start. A gzip-encoded body is shown decoded.
// The returned note says what was done ("gzip decoded", "JSON indented").
func bodyView(body []byte, contentType, contentEncoding string) (text, note string) {
	var notes []string
	if strings.EqualFold(strings.TrimSpace(contentEncoding), "gzip") && len(body) > 0 {
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			if plain, err := io.ReadAll(io.LimitReader(zr, 16<<20)); err == nil {
				body = plain
				notes = append(notes, "gzip decoded")
			}
		}
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case len(body) == 0:
		return "", strings.Join(notes, ", ")
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "" && json.Valid(body)):
		var b bytes.Buffer
		if json.Indent(&b, body, "", "  ") == nil {
			return b.String(), strings.Join(append(notes, "JSON indented"), ", ")
		}
	case mt == "application/x-www-form-urlencoded" && utf8.Valid(body):
		if s, ok := formView(string(body)); ok {
			return s, strings.Join(append(notes, "form decoded"), ", ")
		}
	}
	if isText(body) {
		return string(body), strings.Join(notes, ", ")
	}
	dump := hex.Dump(body[:min(len(body), hexDumpMax)])
	if len(body) > hexDumpMax {
		dump += fmt.Sprintf("… %d more bytes\n", len(body)-hexDumpMax)
	}
	return dump, strings.Join(append(notes, "binary, hex dump"), ", ")
}

// formView prints a urlencoded form one `name = value` a line, in order.
func formView(s string) (string, bool) {
	var b strings.Builder
	for _, pair := range strings.Split(s, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return "", false
		}
		fmt.Fprintf(&b, "%s = %s\n", k, v)
	}
	return b.String(), b.Len() > 0
}

// isText: valid UTF-8 with no control characters but layout ones.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < ' ' && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return false
		}
	}
	return true
}
