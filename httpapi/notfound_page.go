package httpapi

import (
	"html"
	"io"
	"net/http"
	"strings"

	"warren/httpapi/dashboard"
)

// notFoundPage answers a browser's GET of a path that is neither an API
// route nor a page of the app (a mistyped /tunnel, an old bookmark) with a
// small HTML page that says so and links to the dashboard, instead of the
// API's JSON error. It reports false, writing nothing, for API paths and
// for clients that do not ask for HTML: they keep the JSON error.
func notFoundPage(w http.ResponseWriter, r *http.Request) bool {
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !wantsHTML(r) ||
		strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/v1/") {
		return false
	}
	h := w.Header()
	dashboard.SecurityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusNotFound)
	if r.Method == http.MethodGet {
		// The path is the visitor's own text: escaped, never markup.
		io.WriteString(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not found · Warren</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/assets/favicon.svg"><link rel="stylesheet" href="/assets/style.css"></head>
<body><main><h2>No page here</h2><p>Warren has no page at <code>`+html.EscapeString(r.URL.Path)+`</code>.</p>
<p><a href="/">Go to the dashboard</a></p></main></body></html>
`)
	}
	return true
}
