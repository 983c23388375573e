package events

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

	"warren/domain"
)

// Bandwidth counts what crosses the wire (RuleWire): a body is preceded by
// its head. The log keeps no head sizes, only what they are made of
// (method, target, protocol, host, status and the header maps), so the
// heads are measured from those, as HTTP/1.1 text: the request line, the
// Host line, each header line, the blank line; the status line, each
// header line, the blank line. An HTTP/2 head is smaller on the wire
// (HPACK); counting its text form keeps one rule for both. A sealed header
// (secrets.go) counts as the event holds it, the value's keyed hash: the
// value itself is pruned with the bodies, and a count must come out the
// same from the log alone, before and after retention. A TCP connection
// has no heads: its bytes are all body.

// Heads is the size of an exchange's request head (In) and response head (Out).
type Heads struct {
	In, Out int64
}

// CapturedHeads measures the heads of a captured exchange as the edge
// holds it (its header maps as they came).
func CapturedHeads(r *domain.CapturedRequest) Heads {
	_, host := r.ReqHeaders["Host"]
	return heads(r.Kind, r.Method, r.Path, r.Proto, r.Host, r.Status, headerBytes(r.ReqHeaders), headerBytes(r.RespHeaders), host)
}

// headerMaps is implemented by a request.captured payload value that holds
// its header maps: a live append's, which the projections decode without
// them (DecodeOptions.SkipHeaders).
type headerMaps interface {
	headerMaps() (req, resp map[string][]string)
}

func (p RequestCapturedV2) headerMaps() (req, resp map[string][]string) {
	return p.ReqHeaders, p.RespHeaders
}

// EventHeads measures the heads of the request.captured ev, whose payload
// p was decoded from it (with or without its header maps): from the live
// value's header maps when ev has one, else from its stored JSON, so that
// the live path and a rebuild count the same. A payload that does not
// parse is CodeInternal.
func EventHeads(ev *Event, p *RequestCapturedData) (Heads, error) {
	if p.Kind == domain.KindTCP {
		return Heads{}, nil
	}
	var reqH, respH int64
	var host bool
	if m, ok := ev.value.(headerMaps); ok {
		req, resp := m.headerMaps()
		_, host = req["Host"]
		reqH, respH = headerBytes(req), headerBytes(resp)
	} else {
		var err error
		if reqH, respH, host, err = scanHeaderBytes(ev.Data); err != nil {
			return Heads{}, domain.Errorf(domain.CodeInternal, "events: measuring the heads of %s: %v", ev.ID, err)
		}
	}
	return heads(p.Kind, p.Method, p.Path, p.Proto, p.Host, p.Status, reqH, respH, host), nil
}

// statusNoAnswer is the status the edge records when the client went away
// before an answer (nginx's 499): no response head was sent.
const statusNoAnswer = 499

func heads(kind, method, target, proto, host string, status int, reqH, respH int64, hasHost bool) Heads {
	if kind == domain.KindTCP {
		return Heads{}
	}
	const crlf, sep = 2, len(": ")
	h := Heads{In: int64(len(method)+1+len(target)+1+len(proto)+crlf) + reqH + crlf}
	if host != "" && !hasHost { // Go keeps Host out of the header map
		h.In += int64(len("Host")+sep+len(host)) + crlf
	}
	if status >= 100 && status != statusNoAnswer {
		h.Out = int64(len(proto)+1+len(strconv.Itoa(status))+1+len(http.StatusText(status))+crlf) + respH + crlf
	}
	return h
}

// headerBytes is the size of h's lines: "Name: value\r\n" per value.
func headerBytes(h map[string][]string) int64 {
	var n int64
	for k, vs := range h {
		for _, v := range vs {
			n += int64(len(k) + len(": ") + len(v) + len("\r\n"))
		}
	}
	return n
}

// headScanner is a reusable JSON reader for scanHeaderBytes.
type headScanner struct {
	dec jsontext.Decoder
	buf bytes.Buffer
	tmp []byte
}

var headScanners = sync.Pool{New: func() any { return new(headScanner) }}

// scanHeaderBytes measures the header lines of a stored request.captured
// payload (any version: they all name the maps requestHeaders and
// responseHeaders) without building the maps, and says whether the
// request's map holds a Host header.
func scanHeaderBytes(data []byte) (req, resp int64, host bool, err error) {
	s := headScanners.Get().(*headScanner)
	defer headScanners.Put(s)
	if req, resp, host, ok := fastHeaderBytes(data, &s.tmp); ok {
		return req, resp, host, nil
	}
	return s.scan(data)
}

// scan is scanHeaderBytes by the tokenizer, for any JSON.
func (s *headScanner) scan(data []byte) (req, resp int64, host bool, err error) {
	s.buf = *bytes.NewBuffer(data)
	s.dec.Reset(&s.buf, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if _, err := s.dec.ReadToken(); err != nil { // {
		return 0, 0, false, err
	}
	for s.dec.PeekKind() == '"' {
		name, err := s.dec.ReadValue()
		if err != nil {
			return 0, 0, false, err
		}
		switch string(name) {
		case `"requestHeaders"`:
			req, host, err = s.headers()
		case `"responseHeaders"`:
			resp, _, err = s.headers()
		default:
			err = s.dec.SkipValue()
		}
		if err != nil {
			return 0, 0, false, err
		}
	}
	_, err = s.dec.ReadToken() // }
	return req, resp, host, err
}

// headers reads one header map ({"Name":["value",…],…} or null) and sums
// its lines as headerBytes does.
func (s *headScanner) headers() (n int64, host bool, err error) {
	if s.dec.PeekKind() == 'n' {
		_, err = s.dec.ReadToken()
		return 0, false, err
	}
	if _, err = s.dec.ReadToken(); err != nil { // {
		return 0, false, err
	}
	for s.dec.PeekKind() == '"' {
		raw, err := s.dec.ReadValue()
		if err != nil {
			return 0, false, err
		}
		host = host || string(raw) == `"Host"`
		name, err := s.stringLen(raw)
		if err != nil {
			return 0, false, err
		}
		if s.dec.PeekKind() == 'n' { // a nil value list: no lines
			if _, err := s.dec.ReadToken(); err != nil {
				return 0, false, err
			}
			continue
		}
		if _, err := s.dec.ReadToken(); err != nil { // [
			return 0, false, err
		}
		for s.dec.PeekKind() == '"' {
			raw, err := s.dec.ReadValue()
			if err != nil {
				return 0, false, err
			}
			v, err := s.stringLen(raw)
			if err != nil {
				return 0, false, err
			}
			n += int64(name + len(": ") + v + len("\r\n"))
		}
		if _, err := s.dec.ReadToken(); err != nil { // ]
			return 0, false, err
		}
	}
	_, err = s.dec.ReadToken() // }
	return n, host, err
}

// stringLen is the length of the JSON string raw once unescaped.
func (s *headScanner) stringLen(raw []byte) (int, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return len(raw) - 2, nil
	}
	var err error
	s.tmp, err = jsontext.AppendUnquote(s.tmp[:0], raw)
	return len(s.tmp), err
}
