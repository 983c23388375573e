package httpapi

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"warren/domain"
	"warren/projections"
)

// Bounds on a filter's lists, so a query string cannot make every summary
// test thousands of alternatives.
const (
	maxFilterItems   = 16
	maxPathFilterLen = 1024
)

// parseRequestFilter reads the request list's filters from the query:
//
//	method         GET,POST (any case)
//	status         2xx,3xx,4xx,5xx (any of 1xx–5xx) or exact codes, e.g. 2xx,404
//	path           a substring of the path with its query
//	since, until   RFC 3339 capture times (since inclusive, until exclusive)
//	minDurationMs  a number of milliseconds, at least
//	errors         true: a 5xx or an outcome that is not ok
//	replays        true: replays only
//	webhook        verified, unverified or any (issue 17: the webhook verdict)
//
// A parameter given twice counts once per value (method=GET&method=POST is
// method=GET,POST); an empty one is no filter. A bad value is CodeInvalid
// with a message that names the parameter.
func parseRequestFilter(q url.Values) (projections.RequestFilter, error) {
	var f projections.RequestFilter
	var err error
	if f.Methods, err = parseMethods(list(q, "method")); err != nil {
		return f, err
	}
	if f.Statuses, err = parseStatuses(list(q, "status")); err != nil {
		return f, err
	}
	if f.PathContains = q.Get("path"); len(f.PathContains) > maxPathFilterLen {
		return f, domain.Errorf(domain.CodeInvalid, "path filter is %d bytes long; at most %d", len(f.PathContains), maxPathFilterLen)
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := q.Get(t.name)
		if v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return f, domain.Errorf(domain.CodeInvalid, "%s %q is not an RFC 3339 time (e.g. 2026-12-07T05:00:00Z)", t.name, v)
		}
		*t.dst = at
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return f, domain.Errorf(domain.CodeInvalid, "until %q must be after since %q", q.Get("until"), q.Get("since"))
	}
	if v := q.Get("minDurationMs"); v != "" {
		ms, err := strconv.ParseFloat(v, 64)
		if err != nil || ms < 0 || math.IsInf(ms, 0) || math.IsNaN(ms) {
			return f, domain.Errorf(domain.CodeInvalid, "minDurationMs %q must be a number of milliseconds, 0 or more", v)
		}
		f.MinDuration = ms
	}
	if f.ErrorsOnly, err = parseFlag(q, "errors"); err != nil {
		return f, err
	}
	if f.ReplaysOnly, err = parseFlag(q, "replays"); err != nil {
		return f, err
	}
	f.Webhook, err = parseWebhookFilter(q) // requests_filter_webhook.go
	return f, err
}

// list splits every value of a comma-separated parameter; nil when absent
// or empty.
func list(q url.Values, name string) []string {
	v := strings.Join(q[name], ",")
	if strings.Trim(v, ", ") == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func parseMethods(items []string) ([]string, error) {
	if len(items) > maxFilterItems {
		return nil, domain.Errorf(domain.CodeInvalid, "method lists %d methods; at most %d", len(items), maxFilterItems)
	}
	var out []string
	for _, m := range items {
		m = strings.TrimSpace(m)
		if !isToken(m) || len(m) > 32 {
			return nil, domain.Errorf(domain.CodeInvalid, "method %q is not an HTTP method (a list like GET,POST)", m)
		}
		out = append(out, strings.ToUpper(m))
	}
	return out, nil
}

// isToken tells whether s is an RFC 9110 token, which a method is.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func parseStatuses(items []string) ([]projections.StatusRange, error) {
	if len(items) > maxFilterItems {
		return nil, domain.Errorf(domain.CodeInvalid, "status lists %d values; at most %d", len(items), maxFilterItems)
	}
	var out []projections.StatusRange
	for _, v := range items {
		v = strings.TrimSpace(v)
		bad := domain.Errorf(domain.CodeInvalid, "status %q is not a status class (2xx, 3xx, 4xx, 5xx) or a code from 100 to 599", v)
		if len(v) != 3 || v[0] < '1' || v[0] > '5' {
			return nil, bad
		}
		if strings.EqualFold(v[1:], "xx") {
			lo := int(v[0]-'0') * 100
			out = append(out, projections.StatusRange{Lo: lo, Hi: lo + 99})
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 599 {
			return nil, bad
		}
		out = append(out, projections.StatusRange{Lo: n, Hi: n})
	}
	return out, nil
}

// parseFlag reads a boolean filter: true/1 or false/0 (empty: false).
func parseFlag(q url.Values, name string) (bool, error) {
	switch v := q.Get(name); strings.ToLower(v) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	default:
		return false, domain.Errorf(domain.CodeInvalid, "%s %q must be true or false", name, v)
	}
}

// maxRequestScan is Config.RequestScan or its default.
func (s *Server) maxRequestScan() int {
	if s.cfg.RequestScan > 0 {
		return s.cfg.RequestScan
	}
	return projections.MaxRequestScan
}
