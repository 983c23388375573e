package httpapi

import (
	"math"
	"net/url"
	"strings"
	"testing"

	"warren/domain"
)

// FuzzRequestFilter feeds the request list's filter parser arbitrary
// values (seed corpus in testdata/fuzz/FuzzRequestFilter too): it answers
// a filter or CodeInvalid naming one of its parameters, never a panic, and
// what it accepts is in range.
func FuzzRequestFilter(f *testing.F) {
	f.Add("GET,post", "2xx,404", "/hooks", "2026-12-01T10:00:00Z", "2026-12-02T00:00:00Z", "12.5", "true", "false")
	f.Add("", "", "", "", "", "", "", "")
	f.Add("G T", "6xx", "\x00", "yesterday", "2026-13-01T00:00:00Z", "-1", "yes", "2")
	f.Add(",,,", "1XX,599,100", strings.Repeat("a", 1025), "2026-12-01T10:00:00.123456789+01:00", "", "NaN", "1", "0")
	f.Add("M-SEARCH,PROPFIND", "5xx,", "?q=%", "", "2026-12-01T00:00:00Z", "1e308", "TRUE", "True")
	f.Fuzz(func(t *testing.T, method, status, path, since, until, minDur, errs, replays string) {
		q := url.Values{"method": {method}, "status": {status}, "path": {path}, "since": {since},
			"until": {until}, "minDurationMs": {minDur}, "errors": {errs}, "replays": {replays}}
		fl, err := parseRequestFilter(q)
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("error %v is not CodeInvalid", err)
			}
			named := false
			for name := range q {
				named = named || strings.Contains(err.Error(), name)
			}
			if !named {
				t.Fatalf("error %q names no parameter", err)
			}
			return
		}
		if len(fl.Methods) > maxFilterItems || len(fl.Statuses) > maxFilterItems || len(fl.PathContains) > maxPathFilterLen {
			t.Fatalf("accepted too long a filter: %+v", fl)
		}
		for _, m := range fl.Methods {
			if !isToken(m) || m != strings.ToUpper(m) {
				t.Fatalf("method %q accepted", m)
			}
		}
		for _, r := range fl.Statuses {
			if r.Lo < 100 || r.Hi > 599 || r.Lo > r.Hi {
				t.Fatalf("status range %+v accepted", r)
			}
		}
		if fl.MinDuration < 0 || math.IsInf(fl.MinDuration, 0) || math.IsNaN(fl.MinDuration) {
			t.Fatalf("minDurationMs %v accepted", fl.MinDuration)
		}
		if !fl.Since.IsZero() && !fl.Until.IsZero() && !fl.Until.After(fl.Since) {
			t.Fatalf("until %v not after since %v accepted", fl.Until, fl.Since)
		}
	})
}
