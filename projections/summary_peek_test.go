package projections

import (
	"strings"
	"testing"
	"time"

	"warren/domain"
)

// TestSummaryPeekReadsWhatDecodeReads holds the in-place reader of the
// filters to the codec: same method, path, error, replayOf, status, time
// and duration, whatever the lengths around them; and a cut summary is an
// error, not a panic.
func TestSummaryPeekReadsWhatDecodeReads(t *testing.T) {
	for _, r := range []domain.CapturedRequest{
		{ID: "01J", Method: "GET", Path: "/a?b=c", Status: 200, DurationMs: 1.25, CreatedAt: time.Unix(1, 5)},
		{Method: "", Path: strings.Repeat("p", 300), Status: 0, Error: "agent_gone", ReplayOf: "01JREPLAY",
			UserAgent: strings.Repeat("u", 200), DurationMs: 1e9, CreatedAt: time.Date(2026, 12, 1, 0, 0, 0, 7, time.UTC),
			ReqBody: domain.BodyInfo{Size: 1 << 40, Stored: 1 << 20}, RespBody: domain.BodyInfo{Size: -1}},
	} {
		b := encodeSummary(&r)
		var s summaryFields
		if err := s.read(b); err != nil {
			t.Fatal(err)
		}
		if string(s.method) != r.Method || string(s.path) != r.Path || string(s.errCode) != r.Error ||
			string(s.replayOf) != r.ReplayOf || s.status != r.Status || s.createdAt != r.CreatedAt.UnixNano() || s.durationMs != r.DurationMs {
			t.Errorf("peek %+v of %+v", s, r)
		}
		for n := range len(b) {
			if err := s.read(b[:n]); err == nil && n < len(b)-19 {
				t.Errorf("a summary cut to %d of %d bytes read without error", n, len(b))
			}
		}
	}
}

// TestSummaryKeepsOverridesAndReadsFormat1 round-trips a modified replay's
// overrides through the index, and reads a summary written before them
// (format 1: no overrides byte) as having none.
func TestSummaryKeepsOverridesAndReadsFormat1(t *testing.T) {
	r := domain.CapturedRequest{ID: "01J", Method: "POST", Path: "/hook", Status: 200, ReplayOf: "req_01JORIG",
		Overrides: []string{"method", "headers", "body"}, CreatedAt: time.Unix(7, 0).UTC()}
	b := encodeSummary(&r)
	got, err := decodeSummary(b)
	if err != nil || strings.Join(got.Overrides, ",") != "method,headers,body" {
		t.Fatalf("overrides %q, %v", got.Overrides, err)
	}
	v1 := append([]byte{summaryFormatV1}, b[1:len(b)-1]...)
	got, err = decodeSummary(v1)
	if err != nil || got.Overrides != nil || got.Path != "/hook" || got.ReplayOf != r.ReplayOf || !got.CreatedAt.Equal(r.CreatedAt) {
		t.Fatalf("format 1: %+v, %v", got, err)
	}
	var s summaryFields
	if err := s.read(v1); err != nil || string(s.path) != "/hook" || s.status != 200 {
		t.Fatalf("format 1 peek: %+v, %v", s, err)
	}
}
