package edge

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
)

// page is the small page people see for edge errors; fields are escaped.
const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>%d %s · Warren</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}
h1{font-size:1.4em}small{color:#777}</style></head>
<body><h1>%d · %s</h1><p>%s</p><p><small>Warren edge · error %s</small></p></body></html>
`

// writeError answers with a readable HTML page, or JSON
// {"error","message"} when the client asks for JSON.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, title, message string) {
	if wantsJSON(r) {
		writeJSONError(w, status, code, message)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Warren-Error", code)
	w.WriteHeader(status)
	e := html.EscapeString
	fmt.Fprintf(w, page, status, e(title), status, e(title), e(message), e(code))
}

func wantsJSON(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "application/json") && !strings.Contains(a, "text/html")
}

// writeJSONError writes Warren's API error shape.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Warren-Error", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "message": message})
}
