package events

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends p encoded exactly as encoding/json encodes it (the
// fuzz test holds it to that, byte for byte). Every public request is one
// request.captured, and reflection made encoding it the largest single cost
// of capture; this is about five times faster.
func (p RequestCapturedV3) AppendJSON(b []byte) ([]byte, error) {
	b = appendJSONString(append(b, `{"tunnelId":`...), p.TunnelID)
	b = appendJSONString(append(b, `,"tunnel":`...), p.Tunnel)
	b = appendJSONString(append(b, `,"kind":`...), p.Kind)
	if p.Method != "" {
		b = appendJSONString(append(b, `,"method":`...), p.Method)
	}
	if p.Path != "" {
		b = appendJSONString(append(b, `,"path":`...), p.Path)
	}
	b = strconv.AppendInt(append(b, `,"status":`...), int64(p.Status), 10)
	var err error
	if b, err = appendJSONFloat(append(b, `,"ttfbMs":`...), p.TTFBMs); err != nil {
		return nil, err
	}
	if b, err = appendJSONFloat(append(b, `,"durationMs":`...), p.DurationMs); err != nil {
		return nil, err
	}
	b = strconv.AppendInt(append(b, `,"bytesIn":`...), p.BytesIn, 10)
	b = strconv.AppendInt(append(b, `,"bytesOut":`...), p.BytesOut, 10)
	b = appendJSONString(append(b, `,"ip":`...), p.IP)
	if p.UserAgent != "" {
		b = appendJSONString(append(b, `,"userAgent":`...), p.UserAgent)
	}
	b = appendJSONString(append(b, `,"proto":`...), p.Proto)
	b = appendJSONString(append(b, `,"host":`...), p.Host)
	if len(p.ReqHeaders) > 0 {
		b = appendJSONHeaders(append(b, `,"requestHeaders":`...), p.ReqHeaders)
	}
	if len(p.RespHeaders) > 0 {
		b = appendJSONHeaders(append(b, `,"responseHeaders":`...), p.RespHeaders)
	}
	b = p.ReqBody.appendJSON(append(b, `,"requestBody":`...))
	b = p.RespBody.appendJSON(append(b, `,"responseBody":`...))
	if p.Error != "" {
		b = appendJSONString(append(b, `,"error":`...), p.Error)
	}
	if p.ReplayOf != "" {
		b = appendJSONString(append(b, `,"replayOf":`...), p.ReplayOf)
	}
	if p.Modified {
		b = append(b, `,"modified":true`...)
	}
	if len(p.Overrides) > 0 {
		b = appendJSONStrings(append(b, `,"overrides":`...), p.Overrides)
	}
	if p.Secret != nil {
		b = append(b, `,"secretHeaders":{`...)
		comma := false
		for _, side := range [...]struct {
			name  string
			names []string
		}{{`"request":`, p.Secret.Request}, {`"response":`, p.Secret.Response}} {
			if len(side.names) == 0 {
				continue
			}
			if comma {
				b = append(b, ',')
			}
			b = appendJSONStrings(append(b, side.name...), side.names)
			comma = true
		}
		b = append(b, '}')
	}
	if p.Webhook != nil {
		b = p.Webhook.appendJSON(append(b, `,"webhook":`...))
	}
	if p.Denied != "" { // access rules
		b = appendJSONString(append(b, `,"denied":`...), p.Denied)
	}
	return append(b, '}'), nil
}

func (bi *BodyV1) appendJSON(b []byte) []byte {
	b = strconv.AppendInt(append(b, `{"size":`...), bi.Size, 10)
	b = strconv.AppendInt(append(b, `,"stored":`...), bi.Stored, 10)
	if bi.SHA256 != "" {
		b = appendJSONString(append(b, `,"sha256":`...), bi.SHA256)
	}
	return append(strconv.AppendBool(append(b, `,"truncated":`...), bi.Truncated), '}')
}

// appendJSONHeaders encodes a header map as encoding/json does a
// map[string][]string: keys sorted, a nil value as null.
func appendJSONHeaders(b []byte, h map[string][]string) []byte {
	var small [32]string
	keys := small[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, k), ':')
		if vs := h[k]; vs == nil {
			b = append(b, "null"...)
		} else {
			b = appendJSONStrings(b, vs)
		}
	}
	return append(b, '}')
}

// appendJSONStrings encodes a non-nil []string.
func appendJSONStrings(b []byte, vs []string) []byte {
	b = append(b, '[')
	for j, v := range vs {
		if j > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

// sortedKeys returns h's names in order.
func sortedKeys(h map[string][]string) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var errJSONFloat = errors.New("json: unsupported value: NaN or infinite float")

// appendJSONFloat formats f as encoding/json does a float64.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, errJSONFloat
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does: HTML characters, control
// characters and U+2028/9 escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(append(b, s[start:i]...), `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(b, s[start:]...), '"')
}
