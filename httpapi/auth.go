package httpapi

import (
	"net/http"
	"strings"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// authenticate reads "Authorization: Bearer ak_…". The secret's checksum is
// checked before any lookup (a typo costs no read); the key and its account
// are read from the projection on every request, so a revocation takes
// effect on the very next one. Missing, malformed, unknown and revoked keys
// all fail with CodeUnauthorized.
func (s *Server) authenticate(r *http.Request) (domain.Account, domain.APIKey, error) {
	h := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		return domain.Account{}, domain.APIKey{}, domain.Errorf(domain.CodeUnauthorized, "send an API key: Authorization: Bearer ak_…")
	}
	secret = strings.TrimSpace(secret)
	if err := domain.CheckKeySecret(secret); err != nil {
		return domain.Account{}, domain.APIKey{}, err
	}
	hash := domain.HashKeySecret(secret)
	var acc domain.Account
	var key domain.APIKey
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		if key, err = projections.KeyByHash(tx, hash); err != nil {
			return err
		}
		acc, err = projections.Account(tx, key.AccountID)
		return err
	})
	switch {
	case domain.ErrorCode(err) == domain.CodeNotFound:
		return acc, key, domain.Errorf(domain.CodeUnauthorized, "unknown API key")
	case err != nil:
		return acc, key, err
	case !domain.KeyHashEqual(key.Hash, hash):
		return domain.Account{}, domain.APIKey{}, domain.Errorf(domain.CodeUnauthorized, "unknown API key")
	case key.Revoked():
		return domain.Account{}, domain.APIKey{}, domain.Errorf(domain.CodeUnauthorized, "this API key was revoked")
	}
	return acc, key, nil
}
