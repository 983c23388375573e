package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"warren/domain"
)

// errorJSON is every error body: {"error":"<code>","message":"…"}.
type errorJSON struct {
	Error   string `json:"error"`
	Message string `json:"message,omitempty"`
}

// statusOf is the one table from domain codes to HTTP statuses.
var statusOf = map[domain.Code]int{
	domain.CodeInvalid:      http.StatusBadRequest,
	domain.CodeUnauthorized: http.StatusUnauthorized,
	domain.CodeForbidden:    http.StatusForbidden,
	domain.CodeNotFound:     http.StatusNotFound,
	domain.CodeConflict:     http.StatusConflict,
	domain.CodeGone:         http.StatusGone,
	domain.CodeTooLarge:     http.StatusRequestEntityTooLarge,
	domain.CodeQuota:        http.StatusTooManyRequests,
	domain.CodeUnavailable:  http.StatusServiceUnavailable,
	domain.CodeInternal:     http.StatusInternalServerError,
}

// codeUnsupportedMedia is not a domain code: only HTTP has content types.
const codeUnsupportedMedia domain.Code = "unsupported_media_type"

// httpStatus maps an error to its status (500 for anything unknown).
func httpStatus(err error) int {
	code := domain.ErrorCode(err)
	if code == codeUnsupportedMedia {
		return http.StatusUnsupportedMediaType
	}
	if st, ok := statusOf[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// writeError writes err in the API's error shape. Internal errors are
// logged with their cause and shown as a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := domain.ErrorCode(err)
	st := httpStatus(err)
	if st == http.StatusInternalServerError {
		code = domain.CodeInternal
		s.logger.Error("httpapi: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if st == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="warren"`)
	}
	if d := domain.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
	writeJSON(w, st, errorJSON{Error: string(code), Message: domain.ErrorMessage(err)})
}
