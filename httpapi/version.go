package httpapi

import (
	"net/http"

	"warren/domain"
)

// APIVersion is the only Warren-Version the API speaks. Other version
// headers (ngrok-version) are ignored.
const APIVersion = "1"

// withVersion refuses an unknown Warren-Version header, naming the supported ones.
func (s *Server) withVersion(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, ok := r.Header["Warren-Version"]; ok && (len(v) != 1 || v[0] != APIVersion) {
			s.writeError(w, r, domain.Errorf(domain.CodeInvalid, "Warren-Version %q is not supported; supported versions: %s", r.Header.Get("Warren-Version"), APIVersion))
			return
		}
		next.ServeHTTP(w, r)
	})
}
