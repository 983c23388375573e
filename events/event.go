package events

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
)

// Event is one fact in the log. Events are never changed once written.
type Event struct {
	ID      ulid.ULID       // monotonic: log order == key order == id order
	Type    Type            //
	Account string          // the account the fact belongs to ("" for none)
	At      time.Time       // UTC
	Version int             // schema version of Data
	Data    json.RawMessage // the typed payload, JSON
	Prev    [32]byte        // SHA-256 of the previous stored event (zero for the first)

	value any // the typed Data its appender passed (live appends only)
}

// Value is the typed payload the appender passed in the Draft, of which Data
// is the JSON; nil when the event was read back or appended as raw JSON.
// Appliers use it to skip decoding what was just encoded.
func (e *Event) Value() any { return e.value }

// Stored layout, format 1 (big-endian):
//
//	[1] format=1 [16] id [32] prev [8] at (unix ns) [2] version
//	[1] len(type) type [2] len(account) account  data…
const (
	formatV1     = 1
	headerFixed  = 1 + 16 + 32 + 8 + 2
	maxTypeLen   = 255
	maxAcctLen   = 65535
	minEncodedV1 = headerFixed + 1 + 2
)

// Encode returns the stored bytes of ev.
func Encode(ev *Event) ([]byte, error) {
	b, err := appendEncoded(make([]byte, 0, minEncodedV1+len(ev.Type)+len(ev.Account)+len(ev.Data)), ev)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// appendEncoded appends the stored bytes of ev to b.
func appendEncoded(b []byte, ev *Event) ([]byte, error) {
	if len(ev.Type) == 0 || len(ev.Type) > maxTypeLen || len(ev.Account) > maxAcctLen {
		return b, fmt.Errorf("events: cannot encode event %s: type or account length out of range", ev.ID)
	}
	b = append(b, formatV1)
	b = append(b, ev.ID[:]...)
	b = append(b, ev.Prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(ev.At.UnixNano()))
	b = binary.BigEndian.AppendUint16(b, uint16(ev.Version))
	b = append(b, byte(len(ev.Type)))
	b = append(b, ev.Type...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(ev.Account)))
	b = append(b, ev.Account...)
	b = append(b, ev.Data...)
	return b, nil
}

// Decode parses stored bytes, checking that the data is JSON. The returned
// Event does not alias b, so it may outlive a bbolt transaction. Decode never
// panics on bad input.
func Decode(b []byte) (Event, error) { return decode(b, true) }

// decode skips the JSON check when the caller decodes the data anyway
// (rebuild's scan: json.Unmarshal validates as it goes).
func decode(b []byte, validate bool) (Event, error) {
	ev, err := decodeShared(b)
	if err != nil {
		return ev, err
	}
	ev.Data = append(json.RawMessage(nil), ev.Data...)
	if validate && !json.Valid(ev.Data) {
		return ev, fmt.Errorf("events: stored event %s: data is not JSON", ev.ID)
	}
	return ev, nil
}

// decodeShared is decode without the JSON check and without copying the
// data: ev.Data aliases b.
func decodeShared(b []byte) (Event, error) {
	var ev Event
	if len(b) < minEncodedV1 {
		return ev, fmt.Errorf("events: stored event too short (%d bytes)", len(b))
	}
	if b[0] != formatV1 {
		return ev, fmt.Errorf("events: unknown stored format %d", b[0])
	}
	copy(ev.ID[:], b[1:17])
	copy(ev.Prev[:], b[17:49])
	ev.At = time.Unix(0, int64(binary.BigEndian.Uint64(b[49:57]))).UTC()
	ev.Version = int(binary.BigEndian.Uint16(b[57:59]))
	p := headerFixed
	tl := int(b[p])
	p++
	if tl == 0 || len(b) < p+tl+2 {
		return ev, fmt.Errorf("events: stored event %s: bad type length", ev.ID)
	}
	ev.Type = Type(b[p : p+tl])
	p += tl
	al := int(binary.BigEndian.Uint16(b[p : p+2]))
	p += 2
	if len(b) < p+al {
		return ev, fmt.Errorf("events: stored event %s: bad account length", ev.ID)
	}
	ev.Account = string(b[p : p+al])
	p += al
	ev.Data = b[p:]
	return ev, nil
}

// DecodeData unmarshals ev's payload into v (a pointer to the type's Data
// struct) as it is, whatever its version: fine for a field every version
// has. DecodePayload is the versioned decode.
func (ev *Event) DecodeData(v any) error {
	if err := json.Unmarshal(ev.Data, v); err != nil {
		return fmt.Errorf("events: %s %s v%d: %w", ev.Type, ev.ID, ev.Version, err)
	}
	return nil
}

// jsonEvent is the public JSON form of an Event (events tail, the audit API).
type jsonEvent struct {
	ID      string          `json:"id"`
	Type    Type            `json:"type"`
	Account string          `json:"account,omitempty"`
	At      string          `json:"at"`
	Version int             `json:"v"`
	Data    json.RawMessage `json:"data"`
}

// MarshalJSON renders the event with an RFC 3339 UTC time.
func (ev Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonEvent{
		ID: ev.ID.String(), Type: ev.Type, Account: ev.Account,
		At: ev.At.UTC().Format(time.RFC3339Nano), Version: ev.Version, Data: ev.Data,
	})
}
