package projections

import (
	"encoding/binary"

	"warren/domain"
)

// A summary of a capture with a webhook verdict (issue 17) is format 3:
// format 2 followed by the verdict and, last, the verdict's length in one
// byte, so readers that count the fixed fields from the end (summaryTail,
// summary_peek.go) find them. The verdict is a flags byte (verified 1,
// enforced 2, resigned 4), then the provider and the reason as uvarint
// length + bytes. A summary without a verdict stays format 2, so old
// indexes need no rebuild. ChangedHeaders stay in the event (the detail).
const summaryFormatWebhook = 3

const (
	whVerified = 1 << iota
	whEnforced
	whResigned
)

// maxWebhookWord bounds provider and reason in the summary (they are short
// words of edge/webhook's), so the trailer's length fits its byte.
const maxWebhookWord = 100

func appendWebhookSummary(b []byte, w *domain.WebhookResult) []byte {
	if w == nil {
		return b
	}
	b[0] = summaryFormatWebhook
	start := len(b)
	var f byte
	if w.Verified {
		f |= whVerified
	}
	if w.Enforced {
		f |= whEnforced
	}
	if w.Resigned {
		f |= whResigned
	}
	b = append(b, f)
	for _, s := range [...]string{w.Provider, w.Reason} {
		s = s[:min(len(s), maxWebhookWord)]
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return append(b, byte(len(b)-start))
}

// webhookTrailerLen is the bytes a format 3 summary's verdict takes at its
// end, its length byte included (0 when there is no room for one: the
// length checks then fail).
func webhookTrailerLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	return 1 + int(b[len(b)-1])
}

func decodeWebhookSummary(b []byte) (*domain.WebhookResult, error) {
	if len(b) == 0 {
		return nil, errSummary
	}
	w := &domain.WebhookResult{Verified: b[0]&whVerified != 0, Enforced: b[0]&whEnforced != 0, Resigned: b[0]&whResigned != 0}
	p := 1
	for _, s := range [...]*string{&w.Provider, &w.Reason} {
		n, k := binary.Uvarint(b[p:])
		if k <= 0 || uint64(len(b)-p-k) < n {
			return nil, errSummary
		}
		p += k
		*s = string(b[p : p+int(n)])
		p += int(n)
	}
	if p != len(b) {
		return nil, errSummary
	}
	return w, nil
}
