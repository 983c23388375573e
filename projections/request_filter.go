package projections

import (
	"bytes"
	"errors"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// MaxRequestScan is how many summaries one filtered page reads at most. A
// filter that matches little or nothing must still answer fast: 100,000
// is about 0.1–0.2 s (docs/performance.md), and the page then says where
// to continue (RequestPage.ScanLimited).
const MaxRequestScan = 100_000

// StatusRange is an inclusive range of response statuses: a class such as
// 2xx is 200–299, an exact code is one value.
type StatusRange struct{ Lo, Hi int }

// RequestFilter narrows a request list. Its zero value matches everything;
// set fields all have to match.
type RequestFilter struct {
	Methods      []string      // any of these, in any case; none: any method
	Statuses     []StatusRange // in any of these; none: any status
	PathContains string        // a substring of the path with its query (case matters, as in URLs)
	Since, Until time.Time     // capture time: since inclusive, until exclusive; zero: unbounded
	MinDuration  float64       // milliseconds, at least
	ErrorsOnly   bool          // a 5xx status or an outcome that is not ok (see IsErrorOutcome)
	ReplaysOnly  bool          // replays only (replayOf set)
	Webhook      string        // issue 17: WebhookVerified, WebhookUnverified or WebhookAny (request_filter_webhook.go); "": any request
}

// IsZero tells whether f matches every request.
func (f *RequestFilter) IsZero() bool {
	return len(f.Methods) == 0 && len(f.Statuses) == 0 && f.PathContains == "" && f.Since.IsZero() &&
		f.Until.IsZero() && f.MinDuration == 0 && !f.ErrorsOnly && !f.ReplaysOnly && f.Webhook == ""
}

// IsErrorOutcome tells whether a capture's error code means it did not go
// well: every code but the ordinary ends of a WebSocket ("closed") and of a
// TCP connection ("client_closed", "local_closed").
func IsErrorOutcome(code string) bool {
	switch code {
	case "", "closed", "client_closed", "local_closed":
		return false
	}
	return true
}

// match tells whether the summary s matches f.
func (f *RequestFilter) match(s *summaryFields) bool {
	if len(f.Methods) > 0 {
		ok := false
		for _, m := range f.Methods {
			if equalFoldASCII(s.method, m) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.Statuses) > 0 {
		ok := false
		for _, r := range f.Statuses {
			if s.status >= r.Lo && s.status <= r.Hi {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f.PathContains != "" && !containsString(s.path, f.PathContains) {
		return false
	}
	if !f.Since.IsZero() && s.createdAt < f.Since.UnixNano() || !f.Until.IsZero() && s.createdAt >= f.Until.UnixNano() {
		return false
	}
	if s.durationMs < f.MinDuration {
		return false
	}
	if f.ErrorsOnly && s.status < 500 && !IsErrorOutcome(string(s.errCode)) { // no allocation: compared in place
		return false
	}
	if f.Webhook != "" && !f.matchWebhook(s.webhook) { // request_filter_webhook.go
		return false
	}
	return !f.ReplaysOnly || len(s.replayOf) > 0
}

// equalFoldASCII is b == s in any ASCII case, with no conversion (and so no
// allocation) per summary.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// containsString is bytes.Contains(b, []byte(sub)) without the conversion.
func containsString(b []byte, sub string) bool {
	if len(sub) > len(b) {
		return false
	}
	c := sub[0]
	for i := 0; i+len(sub) <= len(b); {
		j := bytes.IndexByte(b[i:len(b)-len(sub)+1], c)
		if j < 0 {
			return false
		}
		i += j
		if string(b[i:i+len(sub)]) == sub { // compared in place: no allocation
			return true
		}
		i++
	}
	return false
}

// RequestPage is one page of a filtered request list.
type RequestPage struct {
	Requests []domain.CapturedRequest
	// ScanLimited is true when the page stopped after scanning
	// MaxRequestScan summaries (maxScan in RequestsFiltered) with fewer
	// than limit matches: older requests were not looked at. ScanBefore is
	// the last one scanned: list again with it as the before cursor.
	ScanLimited bool
	ScanBefore  ulid.ULID
}

// RequestsFiltered lists up to limit of an account's captured requests that
// match f, newest first, below before (zero: from the newest), tunnel ""
// for every tunnel, as Requests does. It reads at most maxScan summaries
// (≤ 0: MaxRequestScan), and reads each one's fields in place, building a
// request only for a match. A before id that is not one of the listed
// requests is CodeInvalid.
func RequestsFiltered(tx *bolt.Tx, accountID, tunnel string, before ulid.ULID, limit int, f *RequestFilter, maxScan int) (RequestPage, error) {
	if maxScan <= 0 {
		maxScan = MaxRequestScan
	}
	var page RequestPage
	if before != (ulid.ULID{}) {
		r, err := RequestSummary(tx, accountID, before)
		if err != nil || tunnel != "" && r.Tunnel != tunnel {
			return page, domain.Errorf(domain.CodeInvalid, "before_id %q is not a known request", domain.RequestIDPrefix+before.String())
		}
	}
	if tunnel != "" && f.PathContains != "" {
		return filterTunnelByPath(tx, accountID, tunnel, before, limit, f, maxScan)
	}
	acc := []byte(accountID)
	reqs := tx.Bucket(bRequests)
	b, prefix := reqs, acc
	if tunnel != "" {
		b, prefix = tx.Bucket(bRequestsByTun), key(acc, []byte(tunnel))
	}
	scanned := 0
	var s summaryFields
	err := listNewest(b, prefix, before, maxScan, func(k, v []byte) error {
		if tunnel != "" {
			v = reqs.Get(key(acc, k[len(k)-16:]))
		}
		scanned++
		copy(page.ScanBefore[:], k[len(k)-16:])
		if err := s.read(v); err != nil {
			return err
		}
		if !f.match(&s) {
			if scanned == maxScan {
				page.ScanLimited = true
			}
			return nil
		}
		r, err := decodeSummary(v)
		if err != nil {
			return err
		}
		page.Requests = append(page.Requests, r)
		if len(page.Requests) == limit {
			return errPageFull
		}
		if scanned == maxScan {
			page.ScanLimited = true
		}
		return nil
	})
	if err == errPageFull {
		err = nil
	}
	if !page.ScanLimited {
		page.ScanBefore = ulid.ULID{}
	}
	return page, err
}

// errPageFull stops a scan once the page holds limit matches.
var errPageFull = errors.New("projections: page full")
