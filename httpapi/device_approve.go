package httpapi

import (
	"net/http"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// devicePendingJSON is what the approval page shows of a waiting login.
type devicePendingJSON struct {
	UserCode    string    `json:"userCode"`
	IP          string    `json:"ip"` // of the device's code request
	RequestedAt time.Time `json:"requestedAt"`
	ExpiresAt   time.Time `json:"expiresAt"`
	ClientID    string    `json:"clientId"`
}

// signedInPerson refuses a caller that is not a person signed in to the
// dashboard: an API key (a script, or the very device asking) must not let
// a device in; nor one whose account has spent its guesses at user codes.
func (s *Server) signedInPerson(c *call) error {
	if c.Session == nil {
		return domain.Errorf(domain.CodeForbidden, "only a person signed in to the dashboard can approve or deny a device login, not an API key")
	}
	return s.devices.guesses.Refused(c.Account.ID)
}

// deviceUserCode normalizes a typed user code; CodeNotFound (and a spent
// guess) when it is no code.
func (s *Server) deviceUserCode(c *call, typed string) (string, error) {
	code, ok := normalizeUserCode(typed)
	if !ok {
		s.devices.guesses.Failed(c.Account.ID)
		return "", domain.Errorf(domain.CodeNotFound, "%q is not a device code: 8 letters, like BCDF-GHJK", typed)
	}
	return code, nil
}

// devicePending is GET /api/v1/device/pending/:user_code, session only:
// the waiting login's device address and time. 403 for an API key, 404
// for a code nobody waits on (expired, used, mistyped; 10 misses per
// account, then one a minute: 429).
func (s *Server) devicePending(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := s.deviceGrantFor(c, c.Params.ByName("user_code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, devicePendingJSON{UserCode: showUserCode(g.userCode), IP: g.ip,
		RequestedAt: g.requestedAt.UTC().Truncate(time.Second), ExpiresAt: g.expiresAt.UTC().Truncate(time.Second), ClientID: g.clientID})
}

func (s *Server) deviceGrantFor(c *call, typed string) (deviceGrant, error) {
	if err := s.signedInPerson(c); err != nil {
		return deviceGrant{}, err
	}
	code, err := s.deviceUserCode(c, typed)
	if err != nil {
		return deviceGrant{}, err
	}
	g, err := s.devices.pending(code, s.now())
	if err != nil {
		s.devices.guesses.Failed(c.Account.ID)
	}
	return g, err
}

// deviceDecision reads {"userCode"} and moves its grant from pending to
// to, with the checks of devicePending.
func (s *Server) deviceDecision(r *http.Request, c *call, to grantState) (deviceGrant, error) {
	if err := s.signedInPerson(c); err != nil {
		return deviceGrant{}, err
	}
	var in struct {
		UserCode string `json:"userCode"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return deviceGrant{}, err
	}
	code, err := s.deviceUserCode(c, in.UserCode)
	if err != nil {
		return deviceGrant{}, err
	}
	g, err := s.devices.transition(code, grantPending, to, s.now())
	if err != nil {
		s.devices.guesses.Failed(c.Account.ID)
	}
	return g, err
}

// deviceApprove is POST /api/v1/device/approve {"userCode"}, session only:
// mints a new API key for the signed-in account, named "warren login on
// <device address>", recorded as key.created via "device" with the
// approving session's id, and hands its secret to the device's next poll.
// 200 with the key's metadata (never its secret). 403 for an API key,
// 404 for a code nobody waits on, 429 past the account's misses.
func (s *Server) deviceApprove(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := s.deviceDecision(r, c, grantApproving)
	if err != nil {
		return err
	}
	k, secret, err := s.mintDeviceKey(r, c, g)
	if err != nil {
		s.devices.aborted(g.userCode) // the person may try again
		return err
	}
	s.devices.approved(g.userCode, secret)
	return writeJSON(w, http.StatusOK, map[string]any{"userCode": showUserCode(g.userCode), "key": k})
}

// mintDeviceKey creates the key through the log and returns its metadata
// and secret.
func (s *Server) mintDeviceKey(r *http.Request, c *call, g deviceGrant) (keyJSON, string, error) {
	secret, err := domain.NewKeySecret(s.rnd)
	if err != nil {
		return keyJSON{}, "", err
	}
	evs, err := s.exec(r.Context(), projections.CreateDeviceKey(c.Account.ID, c.Session.ID,
		domain.HashKeySecret(secret), domain.KeyShownPrefix(secret), "warren login on "+g.ip))
	if err != nil {
		return keyJSON{}, "", err
	}
	k, err := projections.View(s.db, func(tx *bolt.Tx) (domain.APIKey, error) {
		return projections.Key(tx, projections.KeyIDFromEvents(evs))
	})
	return toKeyJSON(k), secret, err
}

// deviceDeny is POST /api/v1/device/deny {"userCode"}, session only: the
// device's next poll hears access_denied. 204; 403, 404 and 429 as approve.
func (s *Server) deviceDeny(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.deviceDecision(r, c, grantDenied); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
