package httpapi

import (
	"net/http"

	"warren/domain"
)

// Readiness is GET /readyz: 200 {"status":"ready"} while ready returns nil,
// else 503 {"error":"unavailable","message":"not ready: …"}, so a load
// balancer stops sending traffic to a server that could answer requests but
// not record them. ready is the composition root's check of the log's
// writability; nil is always ready. It is not liveness: /healthz stays 200
// while the process can serve at all. The message shows a *domain.Error's
// text; any other error reads "internal error" (the check logs its cause).
func Readiness(ready func() error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, errorJSON{Error: "method_not_allowed", Message: r.Method + " is not allowed here; allowed: GET, HEAD"})
			return
		}
		if ready != nil {
			if err := ready(); err != nil {
				writeJSON(w, http.StatusServiceUnavailable, errorJSON{Error: string(domain.CodeUnavailable), Message: "not ready: " + domain.ErrorMessage(err)})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
