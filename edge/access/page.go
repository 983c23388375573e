package access

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
)

// refusalPage is text only: no styles, no scripts, nothing from the
// request but the visitor's own address, escaped.
const refusalPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>%d %s</title></head>
<body><h1>%d %s</h1><p>%s</p><p><small>Warren edge</small></p></body></html>
`

// WriteRefusal answers a refused request: 401 with
// WWW-Authenticate: Basic realm="<realm>", charset="UTF-8" for basic auth,
// 403 for an address rule; a small HTML page, or Warren's JSON error shape
// {"error","message"} for a client that asks for JSON. d must be a refusal.
func WriteRefusal(w http.ResponseWriter, req *http.Request, d Decision, realm string) {
	status, code, title, msg := http.StatusForbidden, "forbidden", "Forbidden", "Your address may not reach this tunnel."
	if d.Reason == ReasonBasicAuth {
		status, code, title, msg = http.StatusUnauthorized, "unauthorized", "Unauthorized",
			"This tunnel asks for a user name and password."
		if !validRealm(realm) || realm == "" {
			realm = "warren"
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
	} else if d.Client.IsValid() {
		msg += " (Seen from " + d.Client.String() + ".)"
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Warren-Error", code)
	a := req.Header.Get("Accept")
	if strings.Contains(a, "application/json") && !strings.Contains(a, "text/html") {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "message": msg})
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(status)
	e := html.EscapeString
	fmt.Fprintf(w, refusalPage, status, title, status, title, e(msg))
}
