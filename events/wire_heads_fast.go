package events

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"
)

// fastHeaderBytes is scanHeaderBytes for the compact JSON the log writes
// (AppendJSON, encoding/json): a plain walk over the bytes that steps over
// every other member without validating it, which the decode already did.
// ok=false for anything it does not expect (whitespace, say): the caller
// falls back to the tokenizer. tmp is scratch for unquoting escaped strings.
func fastHeaderBytes(data []byte, tmp *[]byte) (req, resp int64, host, ok bool) {
	if len(data) < 2 || data[0] != '{' {
		return 0, 0, false, false
	}
	i := 1
	if data[i] == '}' {
		return 0, 0, false, len(data) == 2
	}
	for {
		end := skipJSONString(data, i)
		if end < 0 || end >= len(data) || data[end] != ':' {
			return 0, 0, false, false
		}
		name := data[i:end]
		i = end + 1
		switch string(name) {
		case `"requestHeaders"`:
			i, req, host = fastHeaders(data, i, tmp)
		case `"responseHeaders"`:
			i, resp, _ = fastHeaders(data, i, tmp)
		default:
			i = skipJSONValue(data, i)
		}
		if i < 0 || i >= len(data) {
			return 0, 0, false, false
		}
		switch data[i] {
		case ',':
			i++
		case '}':
			return req, resp, host, i == len(data)-1
		default:
			return 0, 0, false, false
		}
	}
}

// skipJSONString returns the index after the string starting at i, -1 if
// there is none.
func skipJSONString(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipJSONValue returns the index after the value starting at i, -1 on
// anything unexpected.
func skipJSONValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return skipJSONString(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				if j = skipJSONString(data, j); j < 0 {
					return -1
				}
				j--
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	for j := i; j < len(data); j++ { // a number or a literal
		switch data[j] {
		case ',', '}', ']':
			return j
		case ' ', '\t', '\n', '\r':
			return -1
		}
	}
	return -1
}

// fastHeaders measures the header map (or null) at i as headerBytes does;
// i=-1 on anything unexpected.
func fastHeaders(data []byte, i int, tmp *[]byte) (next int, n int64, host bool) {
	if i >= len(data) {
		return -1, 0, false
	}
	if bytes.HasPrefix(data[i:], []byte("null")) {
		return i + 4, 0, false
	}
	if data[i] != '{' {
		return -1, 0, false
	}
	i++
	if i < len(data) && data[i] == '}' {
		return i + 1, 0, false
	}
	for {
		end := skipJSONString(data, i)
		if end < 0 || end+1 >= len(data) || data[end] != ':' {
			return -1, 0, false
		}
		name, ok := unquotedLen(data[i:end], tmp)
		if !ok {
			return -1, 0, false
		}
		host = host || string(data[i:end]) == `"Host"`
		i = end + 1
		switch {
		case bytes.HasPrefix(data[i:], []byte("null")):
			i += 4
		case data[i] == '[':
			i++
			for i < len(data) && data[i] != ']' {
				end := skipJSONString(data, i)
				if end < 0 || end >= len(data) {
					return -1, 0, false
				}
				v, ok := unquotedLen(data[i:end], tmp)
				if !ok {
					return -1, 0, false
				}
				n += int64(name + len(": ") + v + len("\r\n"))
				if i = end; data[i] == ',' {
					i++
				}
			}
			i++ // ]
		default:
			return -1, 0, false
		}
		if i >= len(data) {
			return -1, 0, false
		}
		switch data[i] {
		case ',':
			i++
		case '}':
			return i + 1, n, host
		default:
			return -1, 0, false
		}
	}
}

// unquotedLen is the length of the JSON string raw once unescaped.
func unquotedLen(raw []byte, tmp *[]byte) (int, bool) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return len(raw) - 2, true
	}
	var err error
	*tmp, err = jsontext.AppendUnquote((*tmp)[:0], raw)
	return len(*tmp), err == nil
}
