package projections

import (
	"encoding/binary"
	"errors"
	"math"
	"time"

	"warren/domain"
	"warren/events"
)

// The request index stores summaries in a small binary form: rebuild writes
// a million of them and list pages read a hundred at a time, and JSON was
// the larger part of both costs. Layout (format 2): a format byte, then the
// fields in the order of encodeSummary, strings as uvarint length + bytes,
// integers as varints, floats as 8-byte IEEE bits, bools as one byte, and
// last a byte of the replay's overrides (overrideBits). Format 1, written
// before replays recorded overrides, lacks that byte; both decode.
const (
	summaryFormat   = 2
	summaryFormatV1 = 1
)

// overrideBits maps the fields a replay overrode to the bits of the
// summary's last byte, in the order the API lists them.
var overrideBits = [...]struct {
	name string
	bit  byte
}{{events.OverrideMethod, 1}, {events.OverridePath, 2}, {events.OverrideHeaders, 4}, {events.OverrideBody, 8}}

func overrideMask(names []string) byte {
	var m byte
	for _, n := range names {
		for _, o := range overrideBits {
			if o.name == n {
				m |= o.bit
			}
		}
	}
	return m
}

func overrideNames(m byte) []string {
	if m == 0 {
		return nil
	}
	var out []string
	for _, o := range overrideBits {
		if m&o.bit != 0 {
			out = append(out, o.name)
		}
	}
	return out
}

// summaryTail is the length of the fixed fields that end a summary of the
// format: two floats, two bools (and the overrides byte).
func summaryTail(b []byte) int {
	switch b[0] {
	case summaryFormatV1:
		return 18
	case summaryFormatWebhook: // summary_webhook.go
		return 19 + webhookTrailerLen(b)
	}
	return 19
}

var errSummary = errors.New("projections: corrupt request summary")

func encodeSummary(r *domain.CapturedRequest) []byte {
	strs := [...]string{r.ID, r.AccountID, r.TunnelID, r.Tunnel, r.Kind, r.Method, r.Path,
		r.IP, r.UserAgent, r.Proto, r.Host, r.Error, r.ReplayOf, r.ReqBody.SHA256, r.RespBody.SHA256}
	// Sized up front (varints at their longest): growing it cost an
	// allocation per captured request in the writer's transaction.
	size := 1 + 8*binary.MaxVarintLen64 + 2*8 + 3
	for _, s := range strs {
		size += binary.MaxVarintLen64 + len(s)
	}
	if w := r.Webhook; w != nil {
		size += 1 + 2*binary.MaxVarintLen64 + len(w.Provider) + len(w.Reason)
	}
	b := make([]byte, 0, size)
	b = append(b, summaryFormat)
	for _, s := range strs {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, n := range []int64{int64(r.Status), r.BytesIn, r.BytesOut, r.CreatedAt.UnixNano(),
		r.ReqBody.Size, r.ReqBody.Stored, r.RespBody.Size, r.RespBody.Stored} {
		b = binary.AppendVarint(b, n)
	}
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(r.TTFBMs))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(r.DurationMs))
	b = append(b, boolByte(r.ReqBody.Truncated), boolByte(r.RespBody.Truncated), overrideMask(r.Overrides))
	return appendWebhookSummary(b, r.Webhook) // summary_webhook.go: format 3
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func decodeSummary(b []byte) (domain.CapturedRequest, error) {
	var r domain.CapturedRequest
	if len(b) == 0 || b[0] != summaryFormat && b[0] != summaryFormatV1 && b[0] != summaryFormatWebhook {
		return r, errSummary
	}
	p := 1
	for _, s := range []*string{&r.ID, &r.AccountID, &r.TunnelID, &r.Tunnel, &r.Kind, &r.Method, &r.Path,
		&r.IP, &r.UserAgent, &r.Proto, &r.Host, &r.Error, &r.ReplayOf, &r.ReqBody.SHA256, &r.RespBody.SHA256} {
		n, w := binary.Uvarint(b[p:])
		if w <= 0 || uint64(len(b)-p-w) < n {
			return r, errSummary
		}
		p += w
		*s = string(b[p : p+int(n)])
		p += int(n)
	}
	var ints [8]int64
	for i := range ints {
		n, w := binary.Varint(b[p:])
		if w <= 0 {
			return r, errSummary
		}
		ints[i], p = n, p+w
	}
	if len(b)-p != summaryTail(b) {
		return r, errSummary
	}
	r.Status, r.BytesIn, r.BytesOut = int(ints[0]), ints[1], ints[2]
	r.CreatedAt = time.Unix(0, ints[3]).UTC()
	r.ReqBody.Size, r.ReqBody.Stored, r.RespBody.Size, r.RespBody.Stored = ints[4], ints[5], ints[6], ints[7]
	r.TTFBMs = math.Float64frombits(binary.BigEndian.Uint64(b[p:]))
	r.DurationMs = math.Float64frombits(binary.BigEndian.Uint64(b[p+8:]))
	r.ReqBody.Truncated, r.RespBody.Truncated = b[p+16] == 1, b[p+17] == 1
	if b[0] != summaryFormatV1 {
		r.Overrides = overrideNames(b[p+18])
	}
	if b[0] == summaryFormatWebhook {
		var err error
		if r.Webhook, err = decodeWebhookSummary(b[p+19 : len(b)-1]); err != nil { // summary_webhook.go
			return r, err
		}
	}
	return r, nil
}
