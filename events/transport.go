package events

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/domain"
)

// transportV1 is the first byte of a draft on the wire (the edge's
// capture messages and its disk spool): a new layout is a new byte, and
// UnmarshalDraft reads every old one.
const transportV1 = 1

// MarshalDraft encodes d, to be appended under key by another process
// (AppendOnce): how an edge hands a capture to the control plane through
// JetStream and its spool. The data is encoded as Append would store it,
// with its schema version; bodies travel raw (the control plane compresses
// them as it stores them). Errors are CodeInternal (unencodable data).
//
// Layout: 1 byte version, 16 bytes key, then uvarint-prefixed type and
// account, 8 bytes big-endian Unix nanoseconds (0 = the writer's clock),
// uvarint schema version, uvarint-prefixed data, uvarint count of bodies
// and each uvarint-prefixed (a nil body and an empty one are the same).
func MarshalDraft(key ulid.ULID, d Draft) ([]byte, error) {
	data, err := marshalData(d.Data)
	if err != nil {
		return nil, &domain.Error{Code: domain.CodeInternal, Message: "encoding event data", Err: err}
	}
	n := 1 + 16 + 3*binary.MaxVarintLen64 + len(d.Type) + len(d.Account) + 8 + len(data)
	for _, b := range d.Bodies {
		n += binary.MaxVarintLen64 + len(b)
	}
	out := make([]byte, 0, n)
	out = append(out, transportV1)
	out = append(out, key[:]...)
	out = appendBytes(out, []byte(d.Type))
	out = appendBytes(out, []byte(d.Account))
	var at int64
	if !d.At.IsZero() {
		at = d.At.UnixNano()
	}
	out = binary.BigEndian.AppendUint64(out, uint64(at))
	out = binary.AppendUvarint(out, uint64(d.version()))
	out = appendBytes(out, data)
	out = binary.AppendUvarint(out, uint64(len(d.Bodies)))
	for _, b := range d.Bodies {
		out = appendBytes(out, b)
	}
	return out, nil
}

func appendBytes(b, v []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

var errShort = errors.New("truncated")

// UnmarshalDraft decodes what MarshalDraft encoded: the key and a draft
// whose Data is the raw JSON and whose Version is the one encoded. The
// draft's slices share b. A malformed or unknown layout is CodeInvalid.
func UnmarshalDraft(b []byte) (ulid.ULID, Draft, error) {
	var key ulid.ULID
	bad := func(err error) (ulid.ULID, Draft, error) {
		return ulid.ULID{}, Draft{}, &domain.Error{Code: domain.CodeInvalid, Message: "malformed draft on the wire", Err: err}
	}
	if len(b) < 1+16 {
		return bad(errShort)
	}
	if b[0] != transportV1 {
		return bad(errors.New("unknown layout"))
	}
	copy(key[:], b[1:17])
	r := reader{b: b[17:]}
	typ, acc := r.bytes(), r.bytes()
	at := int64(r.u64())
	version := r.uvarint()
	data := r.bytes()
	nb := r.uvarint()
	if r.err == nil && nb > uint64(len(r.b)) { // each body takes a byte at least
		r.err = errShort
	}
	var bodies [][]byte
	for i := uint64(0); i < nb && r.err == nil; i++ {
		bodies = append(bodies, r.bytes())
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = errors.New("trailing bytes")
	}
	if r.err != nil {
		return bad(r.err)
	}
	d := Draft{Type: Type(typ), Account: string(acc), Version: int(version), Data: json.RawMessage(data), Bodies: bodies}
	if at != 0 {
		d.At = time.Unix(0, at).UTC()
	}
	return key, d, nil
}

// reader reads the layout, keeping the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) u64() uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = errShort
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errShort
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// DraftKey reads the key of an encoded draft without decoding the rest
// (ok=false: not a draft of a known layout).
func DraftKey(b []byte) (key ulid.ULID, ok bool) {
	if len(b) < 1+16 || b[0] != transportV1 {
		return key, false
	}
	copy(key[:], b[1:17])
	return key, true
}
