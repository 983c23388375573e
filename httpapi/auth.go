package httpapi

import (
	"net/http"

	"warren/domain"
)

// authenticate checks the request's API key with the Authenticator the API
// shares with the agent endpoint (projections.Authenticator): the key and
// its account are read from the projection on every request, so a
// revocation takes effect on the very next one. Missing, malformed, unknown
// and revoked keys fail with CodeUnauthorized; an address over its limit of
// failed attempts with CodeQuota and a RetryAfter (429, Retry-After).
func (s *Server) authenticate(r *http.Request) (domain.Account, domain.APIKey, error) {
	return s.auth.Authenticate(r.Header.Get("Authorization"), r.RemoteAddr)
}
