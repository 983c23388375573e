package httpapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/httpapi/dashboard"
	"warren/projections"
)

// passwordLinkTTL is how long a set-password link works.
const passwordLinkTTL = 24 * time.Hour

func (s *Server) routesPasswords() []route {
	return []route{
		{Method: http.MethodPut, Path: "/api/v1/admin/accounts/:id/password", Access: accessOperator, Handle: s.setAccountPassword},
		{Method: http.MethodPost, Path: "/api/v1/admin/accounts/:id/password-link", Access: accessOperator, Handle: s.createPasswordLink},
		{Method: http.MethodPost, Path: "/api/v1/password", Access: accessPublic, Handle: s.usePasswordLink},
	}
}

// hashPassword runs argon2id with the configured parameters, at most
// cap(s.hashing) at once: each costs its memory parameter (64 MiB), so a
// burst of sign-ins queues instead of exhausting the server's memory.
func (s *Server) hashPassword(ctx context.Context, pw string) (string, error) {
	if err := s.acquireHashing(ctx); err != nil {
		return "", err
	}
	defer func() { <-s.hashing }()
	return dashboard.HashPassword(s.rnd, pw, s.cfg.PasswordParams)
}

// verifyPassword is dashboard.VerifyPassword under the same bound; an
// empty phc (no account, or no password) spends the same time and fails.
func (s *Server) verifyPassword(ctx context.Context, phc, pw string) (bool, error) {
	if err := s.acquireHashing(ctx); err != nil {
		return false, err
	}
	defer func() { <-s.hashing }()
	if phc == "" {
		dashboard.VerifyNothing(pw)
		return false, nil
	}
	return dashboard.VerifyPassword(phc, pw)
}

func (s *Server) acquireHashing(ctx context.Context) error {
	select {
	case s.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return domain.Errorf(domain.CodeUnavailable, "request cancelled")
	}
}

// setAccountPassword is PUT /api/v1/admin/accounts/:id/password
// {"password"}: 204. What `warren admin account password --server` calls.
func (s *Server) setAccountPassword(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Password string `json:"password"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	id, err := s.accountRef(c.Params.ByName("id")) // before the slow hashing
	if err != nil {
		return err
	}
	phc, err := s.hashPassword(r.Context(), in.Password)
	if err != nil {
		return err
	}
	if _, err := s.exec(r.Context(), projections.SetPassword(id, phc)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// createPasswordLink is POST /api/v1/admin/accounts/:id/password-link: 201
// {"url": "<base>/set-password#<token>", "expiresAt"}. The token rides in
// the fragment, which browsers never send, so it stays out of access logs
// and Referer headers; only its SHA-256 is recorded.
func (s *Server) createPasswordLink(w http.ResponseWriter, r *http.Request, c *call) error {
	token, err := newToken(s.rnd)
	if err != nil {
		return err
	}
	id, err := s.accountRef(c.Params.ByName("id"))
	if err != nil {
		return err
	}
	evs, err := s.exec(r.Context(), projections.CreatePasswordLink(id, tokenHash(token), passwordLinkTTL))
	if err != nil {
		return err
	}
	d, _ := projections.PasswordLinkFromEvents(evs)
	return writeJSON(w, http.StatusCreated, map[string]any{
		"url": dashboard.SetPasswordURL(s.baseURL(r), token), "expiresAt": d.ExpiresAt.UTC()})
}

// usePasswordLink is POST /api/v1/password {"token","password"}: 204, and
// the link is spent. An unknown, used or expired token is 404, one answer
// for the three; a failure counts against the address's limit as a bad
// API key does, so tokens cannot be guessed at speed.
func (s *Server) usePasswordLink(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	if err := s.auth.Refused(r.RemoteAddr); err != nil {
		return err
	}
	if err := domain.ValidatePassword(in.Password); err != nil {
		return err
	}
	h := tokenHash(in.Token)
	if _, err := projections.View(s.db, func(tx *bolt.Tx) (string, error) {
		return projections.PasswordLinkAccount(tx, h, s.now())
	}); err != nil {
		if domain.ErrorCode(err) == domain.CodeNotFound {
			s.auth.Failed(r.RemoteAddr)
		}
		return err
	}
	phc, err := s.hashPassword(r.Context(), in.Password)
	if err != nil {
		return err
	}
	if _, err := s.exec(r.Context(), projections.UsePasswordLink(h, phc)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// accountRef resolves an account by its acc_ id or, holding an @, its
// email (what `warren admin account password --server --email` sends).
// CodeNotFound; CodeInvalid for a malformed email.
func (s *Server) accountRef(ref string) (string, error) {
	return projections.View(s.db, func(tx *bolt.Tx) (string, error) {
		if !strings.Contains(ref, "@") {
			a, err := projections.Account(tx, ref)
			return a.ID, err
		}
		email, err := domain.NormalizeEmail(ref)
		if err != nil {
			return "", err
		}
		a, err := projections.AccountByEmail(tx, email)
		return a.ID, err
	})
}

// newToken is dashboard.NewToken with a coded error.
func newToken(rnd io.Reader) (string, error) {
	t, err := dashboard.NewToken(rnd)
	if err != nil {
		return "", &domain.Error{Code: domain.CodeInternal, Message: "reading a token", Err: err}
	}
	return t, nil
}

// tokenHash is what the log keeps of a token or session id.
func tokenHash(token string) string { return dashboard.TokenHash(token) }
