package httpapi

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"time"

	"warren/domain"
)

// routesDevice registers the device authorization grant (RFC 8628) that
// `warren login` runs: the CLI asks for a code and polls for its token
// (public, form-encoded, OAuth-shaped answers), and a person signed in to
// the dashboard approves or denies the code (session only: device_approve.go).
func (s *Server) routesDevice() []route {
	return []route{
		{Method: http.MethodPost, Path: "/api/v1/device/code", Access: accessPublic, Handle: s.deviceCode},
		{Method: http.MethodPost, Path: "/api/v1/device/token", Access: accessPublic, Handle: s.deviceToken},
		{Method: http.MethodGet, Path: "/api/v1/device/pending/:user_code", Access: accessKey, Handle: s.devicePending},
		{Method: http.MethodPost, Path: "/api/v1/device/approve", Access: accessKey, Handle: s.deviceApprove},
		{Method: http.MethodPost, Path: "/api/v1/device/deny", Access: accessKey, Handle: s.deviceDeny},
	}
}

// deviceCodeJSON is RFC 8628 3.2's answer.
type deviceCodeJSON struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// oauthErrorJSON is RFC 6749 5.2's error, with Warren's "message" beside
// error_description so every client reads it the same way.
type oauthErrorJSON struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Message     string `json:"message"`
}

// deviceForm parses the form-encoded body RFC 8628 prescribes (at most 4
// KiB) and checks client_id. It writes the OAuth error itself and reports
// false when the request is refused.
func deviceForm(w http.ResponseWriter, r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "send the parameters as application/x-www-form-urlencoded (RFC 8628)")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the form does not parse or is larger than 4 KiB")
		return false
	}
	if id := r.PostForm.Get("client_id"); id != deviceClientID {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client_id; Warren knows "+deviceClientID)
		return false
	}
	return true
}

// deviceCode is POST /api/v1/device/code (RFC 8628 3.1): client_id=
// warren-cli (scope is accepted and ignored: the key minted has the
// account's full rights, as every key does). 200 with the codes; 429
// (slow_down, Retry-After) past 10 codes at once from one address, then
// one per 30 s, or when 1024 logins are pending.
func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request, c *call) error {
	if !deviceForm(w, r) {
		return nil
	}
	ip := remoteIP(r.RemoteAddr)
	if err := s.devices.issued.Refused(ip); err != nil {
		// The limiter counts "failures"; here each code asked for is one.
		e := domain.Errorf(domain.CodeQuota, "too many device codes asked for from this address; retry later")
		e.RetryAfter = domain.RetryAfter(err)
		return oauthRefusal(w, e)
	}
	s.devices.issued.Failed(ip) // spends one of the address's codes
	deviceCode, err := newToken(s.rnd)
	if err != nil {
		return err
	}
	g, err := s.devices.issue(s.rnd, tokenHash(deviceCode), deviceClientID, ip, s.now())
	if err != nil {
		return oauthRefusal(w, err)
	}
	uri := s.baseURL(r) + "/device"
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, deviceCodeJSON{DeviceCode: deviceCode, UserCode: showUserCode(g.userCode),
		VerificationURI: uri, VerificationURIComplete: uri + "?code=" + showUserCode(g.userCode),
		ExpiresIn: int(deviceTTL / time.Second), Interval: int(deviceInterval / time.Second)})
}

// deviceToken is POST /api/v1/device/token (RFC 8628 3.4, 3.5): grant_type=
// urn:ietf:params:oauth:grant-type:device_code, device_code, client_id.
// 200 {"access_token": a new API key, "token_type": "Bearer"} once the
// code is approved, and only once; else 400 with authorization_pending,
// slow_down (polled sooner than the interval, which then grows by 5 s),
// access_denied, expired_token, or invalid_grant (unknown or used code).
func (s *Server) deviceToken(w http.ResponseWriter, r *http.Request, c *call) error {
	if !deviceForm(w, r) {
		return nil
	}
	if gt := r.PostForm.Get("grant_type"); gt != deviceGrantType {
		return oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be "+deviceGrantType)
	}
	code := r.PostForm.Get("device_code")
	if code == "" {
		return oauthError(w, http.StatusBadRequest, "invalid_request", "device_code is required")
	}
	res := s.devices.poll(tokenHash(code), r.PostForm.Get("client_id"), s.now())
	if res.errCode != "" {
		return oauthError(w, http.StatusBadRequest, res.errCode, res.desc)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	return writeJSON(w, http.StatusOK, map[string]string{"access_token": res.secret, "token_type": "Bearer"})
}

// oauthError writes an RFC 6749 5.2 error, not cached.
func oauthError(w http.ResponseWriter, status int, code, desc string) error {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(oauthErrorJSON{Error: code, Description: desc, Message: desc})
}

// oauthRefusal writes a limit's CodeQuota as 429 slow_down with
// Retry-After; any other error goes back to the route's error table.
func oauthRefusal(w http.ResponseWriter, err error) error {
	if domain.ErrorCode(err) != domain.CodeQuota {
		return err
	}
	if d := domain.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
	return oauthError(w, http.StatusTooManyRequests, "slow_down", domain.ErrorMessage(err))
}
