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
//
// A request without an Authorization header may bring the dashboard's
// session cookie instead (session_auth.go: authenticateCall).
func (s *Server) authenticate(r *http.Request) (domain.Account, domain.APIKey, error) {
	acc, key, _, err := s.authenticateCall(r)
	return acc, key, err
}
