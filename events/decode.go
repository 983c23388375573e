package events

import (
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"warren/domain"
)

// selfDecoding is a payload whose typed value, as the appender passed it,
// may stand for the decoding of its JSON under o (ok=false when it cannot).
type selfDecoding interface {
	payload
	decoded(o DecodeOptions) (any, bool)
}

// decoded: the copy is marked unchecked, as a decoded payload is, so the two
// compare equal.
func (p RequestCapturedV3) decoded(o DecodeOptions) (any, bool) {
	ok := p.checked
	p.checked = false
	if o.SkipHeaders {
		p.ReqHeaders, p.RespHeaders = nil, nil
	}
	return &p, ok
}

// DecodePayload is the one decode of an event's data, for the live path and
// for rebuild alike: a pointer to the type's current payload (the XData
// alias), whatever version was stored. A live append of a payload that
// decoding would give back as it is (a request.captured built by
// CapturedFromDomain) is taken without decoding. It returns nil, nil for a
// type this binary does not know (a newer one wrote it), and a CodeInternal
// error for a version it does not know or data that does not decode.
func DecodePayload(ev *Event) (any, error) { return (*Decoder)(nil).Decode(ev) }

// DecodeOptions choose what a Decoder leaves out.
type DecodeOptions struct {
	// SkipHeaders leaves request.captured's header maps nil (the names of
	// sealed headers stay): the request index keeps no headers, and
	// building the maps was most of what decoding a capture allocated.
	SkipHeaders bool
}

// Decoder is DecodePayload with options, built once for many events.
// A nil *Decoder is DecodePayload.
type Decoder struct {
	opts DecodeOptions
	json []jsonv2.Options
}

// NewDecoder builds a Decoder.
func NewDecoder(o DecodeOptions) *Decoder {
	d := &Decoder{opts: o}
	if o.SkipHeaders {
		d.json = []jsonv2.Options{jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(
			func(dec *jsontext.Decoder, _ *map[string][]string) error { return dec.SkipValue() }))}
	}
	return d
}

// Decode is DecodePayload with d's options: a live value and its stored
// JSON give the same payload under the same options.
func (d *Decoder) Decode(ev *Event) (any, error) {
	var o DecodeOptions
	var opts []jsonv2.Options
	if d != nil {
		o, opts = d.opts, d.json
	}
	e, ok := lookup(ev.Type)
	if !ok {
		return nil, nil
	}
	if ev.Version < 1 || ev.Version > len(e.versions) {
		return nil, domain.Errorf(domain.CodeInternal, "events: %s %s: schema version %d is newer than this binary reads (%d)",
			ev.Type, ev.ID, ev.Version, len(e.versions))
	}
	if v, ok := ev.value.(selfDecoding); ok && ev.Version == len(e.versions) && v.payloadVersion() == ev.Version {
		if p, ok := v.decoded(o); ok {
			return p, nil
		}
	}
	p, err := e.versions[ev.Version-1](ev.Data, opts...)
	if err != nil {
		return nil, &domain.Error{Code: domain.CodeInternal,
			Message: fmt.Sprintf("events: decoding %s %s v%d", ev.Type, ev.ID, ev.Version), Err: err}
	}
	return p, nil
}

// version is the schema version the writer stamps on d: the Draft's own,
// else its payload type's, else 1 (a domain value or a map, encoded as
// version 1 was).
func (d *Draft) version() int {
	if d.Version != 0 {
		return d.Version
	}
	v := d.Data
	if d.encoded {
		v = d.value
	}
	if p, ok := v.(payload); ok {
		return p.payloadVersion()
	}
	return 1
}
