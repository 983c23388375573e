package edge

import (
	"net/http"
	"strconv"
	"time"

	"warren/domain"
)

// writeAuthError answers a failed agent authentication as the API would:
// 401 with WWW-Authenticate, or 429 with Retry-After while the client's
// address is over its limit of failed attempts (agents back off on both).
func writeAuthError(w http.ResponseWriter, err error) {
	switch domain.ErrorCode(err) {
	case domain.CodeUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="warren"`)
		writeJSONError(w, http.StatusUnauthorized, string(domain.CodeUnauthorized), domain.ErrorMessage(err))
	case domain.CodeQuota:
		if d := domain.RetryAfter(err); d > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
		}
		writeJSONError(w, http.StatusTooManyRequests, string(domain.CodeQuota), domain.ErrorMessage(err))
	default:
		writeJSONError(w, http.StatusInternalServerError, string(domain.CodeInternal), domain.ErrorMessage(err))
	}
}
