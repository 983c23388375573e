package httpapi

import (
	"net/http"
	"net/url"
	"strconv"

	"warren/domain"
)

// Page sizes, as ngrok's.
const (
	defaultLimit = 100
	maxLimit     = 100
)

// page is a list request's limit and before_id cursor ("" = newest page).
type page struct {
	Limit  int
	Before string
}

// parsePage reads limit (1–100, default 100) and before_id. Bad values are
// CodeInvalid; the list function checks that before_id names one of the
// caller's things of the listed kind.
func parsePage(r *http.Request) (page, error) {
	q := r.URL.Query()
	p := page{Limit: defaultLimit, Before: q.Get("before_id")}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > maxLimit {
			return p, domain.Errorf(domain.CodeInvalid, "limit %q must be a number from 1 to %d", v[0], maxLimit)
		}
		p.Limit = n
	}
	return p, nil
}

// fetch asks a list for one more item than the page holds, to know whether
// a next page exists without a second query.
func (p page) fetch() int { return p.Limit + 1 }

// cutPage trims items fetched with p.fetch() to the page and reports
// whether more follow.
func cutPage[T any](items []T, p page) ([]T, bool) {
	if len(items) > p.Limit {
		return items[:p.Limit], true
	}
	return items, false
}

// nextPageURI is the full URI of the next page (this request's scheme,
// host, path and query with before_id=lastID), or nil when !more.
func (s *Server) nextPageURI(r *http.Request, p page, more bool, lastID string) *string {
	if !more {
		return nil
	}
	q := r.URL.Query()
	q.Set("before_id", lastID)
	q.Set("limit", strconv.Itoa(p.Limit))
	u := url.URL{Scheme: s.scheme(r), Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	str := u.String()
	return &str
}

// scheme is the scheme clients reached the API by.
func (s *Server) scheme(r *http.Request) string {
	switch {
	case s.cfg.Scheme != "":
		return s.cfg.Scheme
	case r.TLS != nil:
		return "https"
	}
	return "http"
}

// baseURL is scheme://host of the request: resource URIs are built on it.
func (s *Server) baseURL(r *http.Request) string { return s.scheme(r) + "://" + r.Host }
