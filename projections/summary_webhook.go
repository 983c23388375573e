package projections

import (
	"encoding/binary"

	"warren/domain"
)

// A summary of a capture with a webhook verdict (issue 17) carries it as a
// trailer after the fixed fields: a flags byte (verified 1, enforced 2,
// resigned 4), then the provider and the reason as uvarint length + bytes.
// A summary without it is as before, so old indexes need no rebuild.
// ChangedHeaders stay in the event (the detail view).
const (
	whVerified = 1 << iota
	whEnforced
	whResigned
)

func appendWebhookSummary(b []byte, w *domain.WebhookResult) []byte {
	if w == nil {
		return b
	}
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
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeWebhookSummary(b []byte) (*domain.WebhookResult, error) {
	if len(b) == 0 {
		return nil, nil
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
