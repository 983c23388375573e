package httpapi

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/events"
)

// deviceEnv is an API on a settable clock with one signed-in account.
type deviceEnv struct {
	*testEnv
	clock  *fakeClock
	acc    string
	key    string // the account's own API key
	cookie string // its dashboard session
}

func mustDeviceEnv(t *testing.T) *deviceEnv {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)}
	e := mustEnvClock(t, clock, cheapPasswords)
	acc, key := e.account(t, "ada@example.com", "free", false)
	e.mustPassword(t, acc, "pw-ada-123456")
	return &deviceEnv{testEnv: e, clock: clock, acc: acc, key: key, cookie: e.mustSignIn(t, "ada@example.com", "pw-ada-123456")}
}

// form posts a form-encoded body, as the CLI (golang.org/x/oauth2) does.
func (e *deviceEnv) form(t *testing.T, path string, v url.Values) (int, []byte) {
	t.Helper()
	st, _, b := e.do(t, "POST", path, "", v.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	return st, b
}

// code asks for a device code and returns the answer.
func (e *deviceEnv) code(t *testing.T) deviceCodeJSON {
	t.Helper()
	st, b := e.form(t, "/api/v1/device/code", url.Values{"client_id": {"warren-cli"}})
	wantStatus(t, st, 200, b)
	var d deviceCodeJSON
	mustJSON(t, b, &d)
	return d
}

// poll asks for the token and returns the status and body.
func (e *deviceEnv) poll(t *testing.T, deviceCode string) (int, []byte) {
	t.Helper()
	return e.form(t, "/api/v1/device/token", url.Values{"client_id": {"warren-cli"},
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {deviceCode}})
}

// wantOAuthError checks an RFC 6749 5.2 error answer.
func wantOAuthError(t *testing.T, st int, b []byte, wantSt int, code string) {
	t.Helper()
	wantStatus(t, st, wantSt, b)
	var e oauthErrorJSON
	mustJSON(t, b, &e)
	if e.Error != code || e.Description == "" || e.Message != e.Description {
		t.Fatalf("error %+v, want %q with a description", e, code)
	}
}

// decide posts approve or deny with the session cookie, as the page does.
func (e *deviceEnv) decide(t *testing.T, what, userCode, auth string) (int, []byte) {
	t.Helper()
	hdr := []string{"Content-Type", "application/json"}
	key := ""
	if strings.HasPrefix(auth, "ak_") {
		key = auth
	} else {
		hdr = append(hdr, "Cookie", auth)
	}
	st, _, b := e.do(t, "POST", "/api/v1/device/"+what, key, `{"userCode":"`+userCode+`"}`, hdr...)
	return st, b
}

func TestDeviceLogin_ApprovedCodeGivesAWorkingKeyOnce(t *testing.T) {
	e := mustDeviceEnv(t)
	d := e.code(t)
	if len(d.UserCode) != 9 || d.UserCode[4] != '-' || strings.Trim(d.UserCode, userCodeAlphabet+"-") != "" {
		t.Fatalf("user code %q is not XXXX-XXXX of the alphabet", d.UserCode)
	}
	if d.VerificationURI != e.ts.URL+"/device" || d.VerificationURIComplete != e.ts.URL+"/device?code="+d.UserCode ||
		d.ExpiresIn != 600 || d.Interval != 5 || len(d.DeviceCode) < 43 {
		t.Fatalf("code answer %+v", d)
	}
	st, b := e.poll(t, d.DeviceCode)
	wantOAuthError(t, st, b, 400, "authorization_pending")

	// The approval page reads the login by its code, typed in any case.
	st, _, b = e.do(t, "GET", "/api/v1/device/pending/"+strings.ToLower(d.UserCode), "", "", "Cookie", e.cookie)
	wantStatus(t, st, 200, b)
	var p devicePendingJSON
	mustJSON(t, b, &p)
	if p.UserCode != d.UserCode || p.IP != "127.0.0.1" || !p.RequestedAt.Equal(e.clock.Now()) || p.ClientID != "warren-cli" {
		t.Fatalf("pending %+v", p)
	}

	e.clock.Add(5 * time.Second)
	st, b = e.decide(t, "approve", d.UserCode, e.cookie)
	wantStatus(t, st, 200, b)
	var ap struct {
		Key keyJSON `json:"key"`
	}
	mustJSON(t, b, &ap)
	if ap.Key.Description != "warren login on 127.0.0.1" || ap.Key.Prefix == "" {
		t.Fatalf("approve answered %s", b)
	}
	approved := string(b)
	st, b = e.decide(t, "approve", d.UserCode, e.cookie)
	wantError(t, st, b, 404, "not_found")

	st, b = e.poll(t, d.DeviceCode)
	wantStatus(t, st, 200, b)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	mustJSON(t, b, &tok)
	if tok.TokenType != "Bearer" || !strings.HasPrefix(tok.AccessToken, ap.Key.Prefix) {
		t.Fatalf("token %s for key %+v", b, ap.Key)
	}
	if strings.Contains(approved, tok.AccessToken) {
		t.Fatal("the approval page was shown the device's secret")
	}
	st, _, b = e.do(t, "GET", "/v1/me", tok.AccessToken, "")
	wantStatus(t, st, 200, b)
	if !strings.Contains(string(b), "ada@example.com") {
		t.Fatalf("the new key is not ada's: %s", b)
	}

	// Single use: the next poll, however late, gets nothing.
	e.clock.Add(10 * time.Second)
	st, b = e.poll(t, d.DeviceCode)
	wantOAuthError(t, st, b, 400, "invalid_grant")

	// The log says where the key came from and which session let it in.
	var got *events.KeyCreatedData
	if err := e.log.ReadFrom(ulid.ULID{}, func(ev events.Event) error {
		if ev.Type == events.KeyCreated {
			p, err := events.DecodePayload(&ev)
			if err != nil {
				return err
			}
			if k := p.(*events.KeyCreatedData); k.KeyID == ap.Key.ID {
				got = k
				if ev.Version != 2 {
					t.Errorf("key.created written at v%d", ev.Version)
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Via != "device" || !strings.HasPrefix(got.SessionID, "web_") {
		t.Fatalf("key.created %+v, want via device and the session", got)
	}
	if strings.Contains(got.Hash, tok.AccessToken) {
		t.Fatal("the secret entered the log")
	}
	// The audit log shows it too.
	st, _, b = e.do(t, "GET", "/api/v1/me/events?type=key.created", e.key, "")
	wantStatus(t, st, 200, b)
	if !strings.Contains(string(b), `"via":"device"`) || !strings.Contains(string(b), `"sessionId":"`+got.SessionID+`"`) {
		t.Fatalf("the audit log does not say the key came from a device login: %s", b)
	}
}

func TestDeviceCodeExpires(t *testing.T) {
	e := mustDeviceEnv(t)
	d := e.code(t)
	e.clock.Add(10*time.Minute + time.Second)
	st, b := e.poll(t, d.DeviceCode)
	wantOAuthError(t, st, b, 400, "expired_token")
	st, _, b = e.do(t, "GET", "/api/v1/device/pending/"+d.UserCode, "", "", "Cookie", e.cookie)
	wantError(t, st, b, 404, "not_found")
	st, b = e.decide(t, "approve", d.UserCode, e.cookie)
	wantError(t, st, b, 404, "not_found")

	// Approved but not collected in time: the key is never handed out.
	d = e.code(t)
	st, b = e.decide(t, "approve", d.UserCode, e.cookie)
	wantStatus(t, st, 200, b)
	e.clock.Add(10 * time.Minute)
	st, b = e.poll(t, d.DeviceCode)
	wantOAuthError(t, st, b, 400, "expired_token")
}

func TestDevicePollingFasterThanTheIntervalSlowsDown(t *testing.T) {
	e := mustDeviceEnv(t)
	d := e.code(t)
	st, b := e.poll(t, d.DeviceCode)
	wantOAuthError(t, st, b, 400, "authorization_pending")
	e.clock.Add(time.Second)
	st, b = e.poll(t, d.DeviceCode)
	wantOAuthError(t, st, b, 400, "slow_down")
	// The interval is now 10 s: 6 s later is still too fast (and adds 5 s more).
	e.clock.Add(6 * time.Second)
	st, b = e.poll(t, d.DeviceCode)
	wantOAuthError(t, st, b, 400, "slow_down")
	e.clock.Add(15 * time.Second)
	st, b = e.poll(t, d.DeviceCode)
	wantOAuthError(t, st, b, 400, "authorization_pending")
}

func TestDeviceLoginDeniedHearsAccessDenied(t *testing.T) {
	e := mustDeviceEnv(t)
	d := e.code(t)
	st, b := e.decide(t, "deny", d.UserCode, e.cookie)
	wantStatus(t, st, 204, b)
	st, b = e.poll(t, d.DeviceCode)
	wantOAuthError(t, st, b, 400, "access_denied")
	st, b = e.decide(t, "approve", d.UserCode, e.cookie)
	wantError(t, st, b, 404, "not_found")
}

func TestDeviceTokenRefusesBadRequests(t *testing.T) {
	e := mustDeviceEnv(t)
	d := e.code(t)
	st, b := e.poll(t, "not-a-device-code")
	wantOAuthError(t, st, b, 400, "invalid_grant")
	st, b = e.form(t, "/api/v1/device/token", url.Values{"client_id": {"someone-else"},
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {d.DeviceCode}})
	wantOAuthError(t, st, b, 401, "invalid_client")
	st, b = e.form(t, "/api/v1/device/token", url.Values{"client_id": {"warren-cli"},
		"grant_type": {"authorization_code"}, "device_code": {d.DeviceCode}})
	wantOAuthError(t, st, b, 400, "unsupported_grant_type")
	st, _, b = e.do(t, "POST", "/api/v1/device/code", "", `{"client_id":"warren-cli"}`, "Content-Type", "application/json")
	wantOAuthError(t, st, b, 400, "invalid_request")
	st, b = e.form(t, "/api/v1/device/code", url.Values{"client_id": {"warren-cli"}, "pad": {strings.Repeat("x", 5000)}})
	wantOAuthError(t, st, b, 400, "invalid_request")
}

func TestDeviceApprovalNeedsASignedInPersonNotAKey(t *testing.T) {
	e := mustDeviceEnv(t)
	d := e.code(t)
	st, _, b := e.do(t, "GET", "/api/v1/device/pending/"+d.UserCode, e.key, "")
	wantError(t, st, b, 403, "forbidden")
	for _, what := range []string{"approve", "deny"} {
		st, b := e.decide(t, what, d.UserCode, e.key)
		wantError(t, st, b, 403, "forbidden")
	}
	st, _, b = e.do(t, "POST", "/api/v1/device/approve", "", `{"userCode":"`+d.UserCode+`"}`, "Content-Type", "application/json")
	wantError(t, st, b, 401, "unauthorized")
	// A cookie write from a sibling origin (a tunnel page) is refused.
	st, _, b = e.do(t, "POST", "/api/v1/device/approve", "", `{"userCode":"`+d.UserCode+`"}`,
		"Content-Type", "application/json", "Cookie", e.cookie, "Sec-Fetch-Site", "same-site", "Origin", "http://evil.warren.test")
	wantError(t, st, b, 403, "forbidden")
	st, b = e.poll(t, d.DeviceCode)
	wantOAuthError(t, st, b, 400, "authorization_pending")
}

func TestDeviceUserCodeGuessesAreLimitedPerAccount(t *testing.T) {
	e := mustDeviceEnv(t)
	for i := range 10 {
		st, _, b := e.do(t, "GET", "/api/v1/device/pending/BCDF-GHJ"+string(userCodeAlphabet[i]), "", "", "Cookie", e.cookie)
		wantError(t, st, b, 404, "not_found")
	}
	d := e.code(t)
	st, _, b := e.do(t, "GET", "/api/v1/device/pending/"+d.UserCode, "", "", "Cookie", e.cookie)
	wantError(t, st, b, 429, "quota")
	e.clock.Add(time.Minute)
	st, _, b = e.do(t, "GET", "/api/v1/device/pending/"+d.UserCode, "", "", "Cookie", e.cookie)
	wantStatus(t, st, 200, b)
}

func TestDeviceCodesAreRateLimitedPerAddress(t *testing.T) {
	e := mustDeviceEnv(t)
	for range 10 {
		e.code(t)
	}
	st, h, b := e.do(t, "POST", "/api/v1/device/code", "", "client_id=warren-cli", "Content-Type", "application/x-www-form-urlencoded")
	wantOAuthError(t, st, b, 429, "slow_down")
	if h.Get("Retry-After") != "30" || !strings.Contains(string(b), "too many device codes") {
		t.Fatalf("Retry-After %q, body %s", h.Get("Retry-After"), b)
	}
	e.clock.Add(30 * time.Second)
	e.code(t)
}

func TestNormalizeUserCode(t *testing.T) {
	for in, want := range map[string]string{"bcdf-ghjk": "BCDFGHJK", " BCDF GHJK ": "BCDFGHJK", "BCDFGHJK": "BCDFGHJK"} {
		if got, ok := normalizeUserCode(in); !ok || got != want {
			t.Errorf("%q: %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "BCDF-GHJ", "BCDF-GHJKL", "ABCD-EFGH", "BCDF-GHJ0", "BCDF/GHJK", "ＢCDF-GHJK"} {
		if got, ok := normalizeUserCode(in); ok {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
}

func FuzzNormalizeUserCode(f *testing.F) {
	for _, s := range []string{"bcdf-ghjk", "", "ABCD-EFGH", "ß", strings.Repeat("B", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := normalizeUserCode(s)
		if !ok {
			return
		}
		if len(got) != userCodeLen || strings.Trim(got, userCodeAlphabet) != "" {
			t.Fatalf("%q normalized to %q", s, got)
		}
		if again, ok := normalizeUserCode(showUserCode(got)); !ok || again != got {
			t.Fatalf("%q does not read back: %q", showUserCode(got), again)
		}
	})
}

func TestDeviceCodeIsApprovedAndCollectedOnceUnderRaces(t *testing.T) {
	e := mustDeviceEnv(t)
	d := e.code(t)
	const n = 8
	statuses := make(chan int, n)
	for range n {
		go func() {
			st, b := e.decide(t, "approve", d.UserCode, e.cookie)
			if st != 200 && st != 404 {
				t.Errorf("approve: %d %s", st, b)
			}
			statuses <- st
		}()
	}
	approved := 0
	for range n {
		if <-statuses == 200 {
			approved++
		}
	}
	keys, err := listKeys(e.srv.db, e.acc, "", 100)
	if approved != 1 || err != nil || len(keys) != 2 {
		t.Fatalf("%d approvals, %d keys (%v); want one of each beside the account's own", approved, len(keys), err)
	}
	for range n {
		go func() {
			st, _ := e.poll(t, d.DeviceCode)
			statuses <- st
		}()
	}
	tokens := 0
	for range n {
		if <-statuses == 200 {
			tokens++
		}
	}
	if tokens != 1 {
		t.Fatalf("the token was handed out %d times", tokens)
	}
}
