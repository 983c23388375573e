package edge

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"

	"warren/domain"
	"warren/events"
)

// ReplayOfHeader marks a replay to the local service when the replay asks
// for it (ReplayOverrides.MarkReplay): its value is the replayed request's
// id (req_…). Off by default, so a replay is byte for byte the capture.
const ReplayOfHeader = "Warren-Replay-Of"

// changedFields names what a replay with overrides o sends differently from
// the capture orig: the method, the path with its query, a header, the
// body, in that order (events.OverrideMethod…). An override that sends what
// was captured (the same method, a header set to the value it had) changes
// nothing and is not listed, so a replay is marked modified only when the
// local service gets other bytes than the first time. A body override
// always counts when the captured body was cut (its bytes are unknown);
// otherwise it is compared by its SHA-256 with the captured one. before and
// after are the replay's headers before and after the header overrides
// (the Warren-Replay-Of mark is no override: it is set after).
func changedFields(orig domain.CapturedRequest, o domain.ReplayOverrides, method, path string, before, after http.Header) []string {
	var out []string
	if o.Method != nil && method != orig.Method {
		out = append(out, events.OverrideMethod)
	}
	if o.Path != nil && path != orig.Path {
		out = append(out, events.OverridePath)
	}
	for name := range o.Headers {
		if !slices.Equal(before.Values(name), after.Values(name)) {
			out = append(out, events.OverrideHeaders)
			break
		}
	}
	if o.Body != nil && !sameBody(orig.ReqBody, *o.Body) {
		out = append(out, events.OverrideBody)
	}
	return out
}

// sameBody tells whether body is the captured body b: never when b was
// truncated (or kept no hash), else by size and SHA-256.
func sameBody(b domain.BodyInfo, body string) bool {
	if b.Size != int64(len(body)) {
		return false
	}
	if b.Size == 0 {
		return true
	}
	if b.Truncated || b.SHA256 == "" {
		return false
	}
	sum := sha256.Sum256([]byte(body))
	return strings.EqualFold(hex.EncodeToString(sum[:]), b.SHA256)
}
