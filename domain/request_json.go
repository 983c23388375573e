package domain

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends r encoded exactly as encoding/json encodes it (the
// fuzz test holds it to that, byte for byte). Every public request is one
// captured request, and reflection made encoding it the largest single cost
// of capture; this is about five times faster.
func (r CapturedRequest) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	if r.ID != "" {
		b = appendJSONString(append(b, `"id":`...), r.ID)
		b = append(b, ',')
	}
	if r.AccountID != "" {
		b = appendJSONString(append(b, `"accountId":`...), r.AccountID)
		b = append(b, ',')
	}
	b = appendJSONString(append(b, `"tunnelId":`...), r.TunnelID)
	b = appendJSONString(append(b, `,"tunnel":`...), r.Tunnel)
	b = appendJSONString(append(b, `,"kind":`...), r.Kind)
	if r.Method != "" {
		b = appendJSONString(append(b, `,"method":`...), r.Method)
	}
	if r.Path != "" {
		b = appendJSONString(append(b, `,"path":`...), r.Path)
	}
	b = strconv.AppendInt(append(b, `,"status":`...), int64(r.Status), 10)
	var err error
	if b, err = appendJSONFloat(append(b, `,"ttfbMs":`...), r.TTFBMs); err != nil {
		return nil, err
	}
	if b, err = appendJSONFloat(append(b, `,"durationMs":`...), r.DurationMs); err != nil {
		return nil, err
	}
	b = strconv.AppendInt(append(b, `,"bytesIn":`...), r.BytesIn, 10)
	b = strconv.AppendInt(append(b, `,"bytesOut":`...), r.BytesOut, 10)
	b = appendJSONString(append(b, `,"ip":`...), r.IP)
	if r.UserAgent != "" {
		b = appendJSONString(append(b, `,"userAgent":`...), r.UserAgent)
	}
	b = appendJSONString(append(b, `,"proto":`...), r.Proto)
	b = appendJSONString(append(b, `,"host":`...), r.Host)
	if len(r.ReqHeaders) > 0 {
		b = appendJSONHeaders(append(b, `,"requestHeaders":`...), r.ReqHeaders)
	}
	if len(r.RespHeaders) > 0 {
		b = appendJSONHeaders(append(b, `,"responseHeaders":`...), r.RespHeaders)
	}
	b = r.ReqBody.appendJSON(append(b, `,"requestBody":`...))
	b = r.RespBody.appendJSON(append(b, `,"responseBody":`...))
	if r.Error != "" {
		b = appendJSONString(append(b, `,"error":`...), r.Error)
	}
	if r.ReplayOf != "" {
		b = appendJSONString(append(b, `,"replayOf":`...), r.ReplayOf)
	}
	if !r.CreatedAt.IsZero() {
		t, err := r.CreatedAt.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"createdAt":`...), t...)
	}
	return append(b, '}'), nil
}

func (bi *BodyInfo) appendJSON(b []byte) []byte {
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
		vs := h[k]
		if vs == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '[')
		for j, v := range vs {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
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
