package httpapi

import (
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// The session cookie. Its name carries the __Host- prefix, which makes a
// browser refuse it unless it is Secure, host-only (no Domain) and Path=/:
// no tunnel page on <sub>.<base> can set or overwrite it ("cookie
// tossing"), and the browser never sends it to one. __Host- needs Secure,
// so over plain http to a host that is not localhost (where browsers drop
// Secure cookies) the cookie is plain warren_session: still host-only and
// HttpOnly, but a subdomain could toss one. Serve the dashboard over TLS.
const (
	cookieSecure   = "__Host-warren_session"
	cookieInsecure = "warren_session"
)

// secureCookie reports whether the request's cookie is the __Host- one:
// over TLS, and on localhost, which browsers treat as a secure context.
func (s *Server) secureCookie(r *http.Request) bool {
	if s.scheme(r) == "https" {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

func (s *Server) cookieName(r *http.Request) string {
	if s.secureCookie(r) {
		return cookieSecure
	}
	return cookieInsecure
}

func (s *Server) sessionCookie(r *http.Request, token string, expires time.Time) *http.Cookie {
	return &http.Cookie{Name: s.cookieName(r), Value: token, Path: "/", Expires: expires.UTC(),
		MaxAge: int(expires.Sub(s.now()) / time.Second), Secure: s.secureCookie(r), HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

func (s *Server) clearCookie(r *http.Request) *http.Cookie {
	return &http.Cookie{Name: s.cookieName(r), Value: "", Path: "/", MaxAge: -1,
		Secure: s.secureCookie(r), HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// authenticateCall authenticates a route's request: with the Bearer key
// when there is an Authorization header (a cookie beside it is ignored),
// else with the session cookie. The session is nil for a key.
func (s *Server) authenticateCall(r *http.Request) (domain.Account, domain.APIKey, *domain.Session, error) {
	if r.Header.Get("Authorization") == "" {
		if ck, err := r.Cookie(s.cookieName(r)); err == nil && ck.Value != "" {
			acc, sess, err := s.authenticateSession(r, ck.Value)
			return acc, domain.APIKey{}, sess, err
		}
	}
	acc, key, err := s.auth.Authenticate(r.Header.Get("Authorization"), r.RemoteAddr)
	return acc, key, nil, err
}

// authenticateSession resolves a cookie's value to its live session and
// account, and refreshes the session's last use. CodeUnauthorized for an
// unknown, revoked or expired session (an unknown one counts against the
// address's failures, as a bad key does); then the state-changing checks
// of browserWrite.
func (s *Server) authenticateSession(r *http.Request, token string) (domain.Account, *domain.Session, error) {
	if err := s.auth.Refused(r.RemoteAddr); err != nil {
		return domain.Account{}, nil, err
	}
	type found struct {
		acc  domain.Account
		sess domain.Session
	}
	h := tokenHash(token)
	f, err := projections.View(s.db, func(tx *bolt.Tx) (found, error) {
		sess, err := projections.SessionByHash(tx, h)
		if err != nil {
			return found{}, err
		}
		acc, err := projections.Account(tx, sess.AccountID)
		return found{acc, sess}, err
	})
	expired := domain.Errorf(domain.CodeUnauthorized, "the session has ended; sign in again")
	switch {
	case domain.ErrorCode(err) == domain.CodeNotFound:
		s.auth.Failed(r.RemoteAddr)
		return domain.Account{}, nil, expired
	case err != nil:
		return domain.Account{}, nil, err
	}
	now := s.now()
	if !f.sess.Live(now, s.lastSeen(f.sess)) {
		s.forgetSeen(h)
		return domain.Account{}, nil, expired
	}
	s.touch(h, now)
	if err := s.browserWrite(r); err != nil {
		return domain.Account{}, nil, err
	}
	return f.acc, &f.sess, nil
}

// browserWrite guards a state-changing request a browser may have sent
// with the cookie: stdlib's CrossOriginProtection (Sec-Fetch-Site, else
// Origin against Host) refuses a cross-origin one with 403, since
// SameSite=Lax does not stop a sibling tunnel host (same site, other
// origin); and the body must be application/json (415 otherwise), which a
// plain HTML form cannot send. A write with no body and no Content-Type
// (DELETE) passes. Safe methods always pass.
func (s *Server) browserWrite(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if err := s.csrf.Check(r); err != nil {
		return domain.Errorf(domain.CodeForbidden, "cross-origin request refused")
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return &domain.Error{Code: codeUnsupportedMedia, Message: "a request signed in with a session sends application/json"}
	}
	return nil
}

// lastSeen is the session's last use: remembered, else the later of its
// creation and this process's start (see signin).
func (s *Server) lastSeen(ss domain.Session) time.Time {
	s.seenMu.Lock()
	t, ok := s.seen[ss.IDHash]
	s.seenMu.Unlock()
	if ok {
		return t
	}
	if ss.CreatedAt.After(s.started) {
		return ss.CreatedAt
	}
	return s.started
}

// touch records a use at now, at most once per seenResolution.
func (s *Server) touch(h string, now time.Time) {
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	if t, ok := s.seen[h]; !ok || now.Sub(t) >= seenResolution {
		s.seen[h] = now
	}
}

func (s *Server) forgetSeen(h string) {
	s.seenMu.Lock()
	delete(s.seen, h)
	s.seenMu.Unlock()
}
