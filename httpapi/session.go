package httpapi

import (
	"net/http"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/time/rate"

	"warren/domain"
	"warren/httpapi/dashboard"
	"warren/projections"
)

// signin is the API's sign-in state, all of it in memory and none of it
// needed after a restart: the argon2id slots, the per-account limit on
// failed passwords (the per-address one is the Authenticator's, shared
// with API keys), and when each session was last used.
//
// Last use lives in memory, not in an event per request (that would write
// the log on every click) nor in a bucket (a write transaction per minute
// per session, for a value that matters for 12 hours). The cost: after a
// restart, a session's last use counts from the start of the process, so
// a restart can lengthen an idle session's life by at most one idle
// period, never past its absolute expiry.
type signin struct {
	hashing  chan struct{}               // one slot per argon2id run at once
	accounts *projections.FailureLimiter // failed passwords per account
	csrf     *http.CrossOriginProtection // on cookie-authenticated writes
	started  time.Time
	seenMu   sync.Mutex
	seen     map[string]time.Time // cookie hash → last use, refreshed at most once a minute
}

const (
	seenResolution = time.Minute
	sessionPrefix  = "web_"
)

func (s *Server) initSignin() {
	if s.cfg.PasswordParams == (dashboard.Params{}) {
		s.cfg.PasswordParams = dashboard.RFC9106Second
	}
	if s.cfg.SessionIdle <= 0 {
		s.cfg.SessionIdle = 12 * time.Hour
	}
	if s.cfg.SessionTTL <= 0 {
		s.cfg.SessionTTL = 7 * 24 * time.Hour
	}
	s.signin = signin{
		hashing: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
		// 5 wrong passwords at once, then one a minute, per account: slow
		// enough against guessing, and a locked-out owner waits a minute.
		accounts: projections.NewFailureLimiter(rate.Every(time.Minute), 5, 1<<16, s.now, "for this account"),
		csrf:     http.NewCrossOriginProtection(),
		started:  s.now(),
		seen:     map[string]time.Time{},
	}
}

func (s *Server) routesSessions() []route {
	return []route{
		{Method: http.MethodPost, Path: "/api/v1/session", Access: accessPublic, Handle: s.signIn},
		{Method: http.MethodDelete, Path: "/api/v1/session", Access: accessKey, Handle: s.signOut},
		{Method: http.MethodGet, Path: "/api/v1/me/sessions", Access: accessKey, Handle: s.listSessions},
		{Method: http.MethodDelete, Path: "/api/v1/me/sessions", Access: accessKey, Handle: s.revokeAllSessions},
		{Method: http.MethodDelete, Path: "/api/v1/me/sessions/:id", Access: accessKey, Handle: s.revokeSession},
	}
}

// sessionJSON is a session as GET /api/v1/me/sessions and sign-in show it.
type sessionJSON struct {
	ID         string    `json:"id"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"userAgent"`
	CreatedAt  time.Time `json:"createdAt"`
	LastSeenAt time.Time `json:"lastSeenAt"`
	ExpiresAt  time.Time `json:"expiresAt"` // the earlier of idle and absolute expiry
	Current    bool      `json:"current"`
}

func (s *Server) toSessionJSON(ss domain.Session, current *domain.Session) sessionJSON {
	seen := s.lastSeen(ss)
	exp := seen.Add(ss.IdleFor)
	if ss.ExpiresAt.Before(exp) {
		exp = ss.ExpiresAt
	}
	return sessionJSON{ID: ss.ID, IP: ss.IP, UserAgent: ss.UserAgent, CreatedAt: ss.CreatedAt.UTC(),
		LastSeenAt: seen.UTC().Truncate(time.Second), ExpiresAt: exp.UTC().Truncate(time.Second),
		Current: current != nil && current.ID == ss.ID}
}

// signIn is POST /api/v1/session {"email","password"}: 201 with the session
// and the account, and the session cookie. A wrong email or password is
// 401 with one message for both; too many failures from the address or
// for the account, 429 with Retry-After.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.browserWrite(r); err != nil { // login CSRF: no signing a victim into our account
		return err
	}
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	if err := s.auth.Refused(r.RemoteAddr); err != nil {
		return err
	}
	wrong := domain.Errorf(domain.CodeUnauthorized, "wrong email or password")
	email, err := domain.NormalizeEmail(in.Email)
	if err != nil {
		s.auth.Failed(r.RemoteAddr)
		return wrong
	}
	if err := s.accounts.Refused(email); err != nil {
		return err
	}
	type found struct {
		acc domain.Account
		phc string
	}
	f, err := projections.View(s.db, func(tx *bolt.Tx) (found, error) {
		acc, err := projections.AccountByEmail(tx, email)
		if err != nil {
			return found{}, err
		}
		phc, err := projections.AccountPassword(tx, acc.ID)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			err = nil
		}
		return found{acc, phc}, err
	})
	if err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
		return err
	}
	ok, err := s.verifyPassword(r.Context(), f.phc, in.Password)
	if err != nil && domain.ErrorCode(err) != domain.CodeInvalid {
		return err
	}
	ua := r.UserAgent()
	if !ok {
		s.auth.Failed(r.RemoteAddr)
		s.accounts.Failed(email)
		if f.acc.ID != "" {
			reason := "bad_password"
			if f.phc == "" {
				reason = "no_password"
			}
			if _, err := s.exec(r.Context(), projections.SigninFailed(f.acc.ID, remoteIP(r.RemoteAddr), ua, reason)); err != nil {
				return err
			}
		}
		return wrong
	}
	token, err := newToken(s.rnd)
	if err != nil {
		return err
	}
	evs, err := s.exec(r.Context(), projections.CreateSession(projections.NewSession{AccountID: f.acc.ID, PasswordHash: f.phc,
		IDHash: tokenHash(token), IP: remoteIP(r.RemoteAddr), UserAgent: ua, IdleFor: s.cfg.SessionIdle, TTL: s.cfg.SessionTTL}))
	if err != nil {
		return err
	}
	d, _ := projections.SessionFromEvents(evs)
	s.touch(tokenHash(token), s.now())
	http.SetCookie(w, s.sessionCookie(r, token, d.ExpiresAt))
	sess := domain.Session{ID: d.SessionID, AccountID: f.acc.ID, IP: d.IP, UserAgent: d.UserAgent, CreatedAt: evs[0].At,
		IdleFor: s.cfg.SessionIdle, ExpiresAt: d.ExpiresAt}
	return writeJSON(w, http.StatusCreated, map[string]any{"session": s.toSessionJSON(sess, &sess), "account": toAccountJSON(f.acc)})
}

// signOut is DELETE /api/v1/session: ends the session the cookie names
// (204, and the cookie is cleared). With an API key it is 400: a key has
// no session; revoke the key instead.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.Session == nil {
		return domain.Errorf(domain.CodeInvalid, "this request is not signed in with a session (an API key has none)")
	}
	if _, err := s.exec(r.Context(), projections.RevokeSession(c.Account.ID, c.Session.ID, "signed_out")); err != nil {
		return err
	}
	s.forgetSeen(c.Session.IDHash)
	http.SetCookie(w, s.clearCookie(r))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listSessions is GET /api/v1/me/sessions: the account's live sessions,
// newest first, the one making the request marked current.
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, c *call) error {
	ss, err := projections.View(s.db, func(tx *bolt.Tx) ([]domain.Session, error) { return projections.Sessions(tx, c.Account.ID) })
	if err != nil {
		return err
	}
	now := s.now()
	out := []sessionJSON{}
	for _, x := range ss {
		if x.Live(now, s.lastSeen(x)) {
			out = append(out, s.toSessionJSON(x, c.Session))
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// revokeSession is DELETE /api/v1/me/sessions/:id: 204, 404 for a session
// that is not the caller's (or is gone).
func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request, c *call) error {
	id := c.Params.ByName("id")
	if _, err := s.exec(r.Context(), projections.RevokeSession(c.Account.ID, id, "revoked")); err != nil {
		return err
	}
	if c.Session != nil && c.Session.ID == id {
		s.forgetSeen(c.Session.IDHash)
		http.SetCookie(w, s.clearCookie(r))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeAllSessions is DELETE /api/v1/me/sessions, "sign out everywhere":
// every session of the account ends, the caller's too. 204.
func (s *Server) revokeAllSessions(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.exec(r.Context(), projections.RevokeSessions(c.Account.ID, "everywhere", "")); err != nil {
		return err
	}
	if c.Session != nil {
		http.SetCookie(w, s.clearCookie(r))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
