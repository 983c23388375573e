package projections

import (
	"encoding/binary"
	"math"
)

// summaryFields are the fields a list filter tests, read in place from an
// encoded summary (see encodeSummary): the byte slices point into bbolt's
// page and are valid only inside the transaction. Reading them costs no
// allocation, where decodeSummary makes fifteen strings: a filter scanning
// a million summaries decodes only the ones that match.
type summaryFields struct {
	method, path, errCode, replayOf []byte
	status                          int
	createdAt                       int64 // UnixNano
	durationMs                      float64
	webhook                         webhookMark // summary_webhook.go
}

// Positions of the strings encodeSummary writes, in its order.
const (
	sumMethod   = 5
	sumPath     = 6
	sumError    = 11
	sumReplayOf = 12
	sumStrings  = 15
)

// read fills s from an encoded summary, or returns errSummary.
func (s *summaryFields) read(b []byte) error {
	if len(b) == 0 || b[0] != summaryFormat && b[0] != summaryFormatV1 && b[0] != summaryFormatWebhook {
		return errSummary
	}
	p := 1
	for i := range sumStrings {
		n, w := binary.Uvarint(b[p:])
		if w <= 0 || uint64(len(b)-p-w) < n {
			return errSummary
		}
		p += w
		v := b[p : p+int(n) : p+int(n)]
		switch i {
		case sumMethod:
			s.method = v
		case sumPath:
			s.path = v
		case sumError:
			s.errCode = v
		case sumReplayOf:
			s.replayOf = v
		}
		p += int(n)
	}
	status, w := binary.Varint(b[p:])
	if w <= 0 {
		return errSummary
	}
	p += w
	for range 2 { // bytesIn, bytesOut
		if _, w = binary.Varint(b[p:]); w <= 0 {
			return errSummary
		}
		p += w
	}
	at, w := binary.Varint(b[p:])
	if w <= 0 {
		return errSummary
	}
	// The two floats, two bools (and the overrides byte) end the summary:
	// the duration is the second float, whatever the four body sizes
	// between took.
	tail := summaryTail(b)
	if len(b) < p+w+tail {
		return errSummary
	}
	end := len(b) - tail
	s.status, s.createdAt = int(status), at
	s.durationMs = math.Float64frombits(binary.BigEndian.Uint64(b[end+8:]))
	s.webhook = peekWebhook(b) // summary_webhook.go
	return nil
}
