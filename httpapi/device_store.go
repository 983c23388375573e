package httpapi

import (
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"warren/domain"
	"warren/projections"
)

// Device login (RFC 8628) keeps its pending authorizations here, in
// memory: a device code is a bearer secret for ten minutes, so it never
// enters the log (only the key an approval mints does, as key.created
// via "device"), and it is kept only as its SHA-256. A restart forgets
// every pending login; the CLI then hears invalid_grant and the person
// runs `warren login` again. Memory is bounded by deviceMaxPending.
const (
	deviceClientID   = "warren-cli"
	deviceGrantType  = "urn:ietf:params:oauth:grant-type:device_code"
	deviceTTL        = 10 * time.Minute
	deviceInterval   = 5 * time.Second
	deviceSlowDownBy = 5 * time.Second // RFC 8628 3.5: "increased by 5 seconds"
	// deviceSlack forgives a poll that arrives a little early: a client
	// that waits exactly the interval may see its request land a few
	// milliseconds sooner than the one before.
	deviceSlack      = 500 * time.Millisecond
	deviceMaxPending = 1024
	// userCodeAlphabet is RFC 8628 6.1's: consonants only (no words, no
	// 0/O or 1/I to confuse), 20^8 ≈ 2^34.6 codes of 8 letters.
	userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"
	userCodeLen      = 8
)

type grantState int

const (
	grantPending   grantState = iota
	grantApproving            // an approval is minting the key
	grantApproved             // the key is minted; its secret waits for one poll
	grantDenied
	grantUsed // the token was handed out: single use
)

// deviceGrant is one pending device login.
type deviceGrant struct {
	deviceHash  string // SHA-256 hex of the device code
	userCode    string // 8 letters, canonical (no dash)
	clientID    string
	ip          string // of the device's code request
	requestedAt time.Time
	expiresAt   time.Time
	interval    time.Duration // grows by deviceSlowDownBy on each slow_down
	lastPoll    time.Time
	state       grantState
	secret      string // the minted key's secret, from approval to the poll that takes it
}

// deviceStore holds the pending logins, and the limits on asking for
// codes (per address) and on guessing user codes (per account).
type deviceStore struct {
	mu       sync.Mutex
	byDevice map[string]*deviceGrant
	byUser   map[string]*deviceGrant
	issued   *projections.FailureLimiter // code requests per address
	guesses  *projections.FailureLimiter // unknown user codes per account
}

func newDeviceStore(now func() time.Time) *deviceStore {
	return &deviceStore{byDevice: map[string]*deviceGrant{}, byUser: map[string]*deviceGrant{},
		// A person logs in now and then: 10 codes at once, then one every 30 s.
		issued: projections.NewFailureLimiter(rate.Every(30*time.Second), 10, 1<<16, now, "from this address"),
		// A mistyped code is common, a run of them is a guess: 10, then one a minute.
		guesses: projections.NewFailureLimiter(rate.Every(time.Minute), 10, 1<<16, now, "with unknown device codes for this account"),
	}
}

// issue makes a grant with a fresh user code. CodeQuota when the store is
// full of unexpired logins.
func (d *deviceStore) issue(rnd io.Reader, deviceHash, clientID, ip string, now time.Time) (deviceGrant, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.prune(now)
	if len(d.byDevice) >= deviceMaxPending {
		e := domain.Errorf(domain.CodeQuota, "too many device logins are pending; retry in a minute")
		e.RetryAfter = time.Minute
		return deviceGrant{}, e
	}
	var code string
	for {
		c, err := newUserCode(rnd)
		if err != nil {
			return deviceGrant{}, err
		}
		if d.byUser[c] == nil {
			code = c
			break
		}
	}
	g := &deviceGrant{deviceHash: deviceHash, userCode: code, clientID: clientID, ip: ip,
		requestedAt: now, expiresAt: now.Add(deviceTTL), interval: deviceInterval}
	d.byDevice[deviceHash], d.byUser[code] = g, g
	return *g, nil
}

// prune forgets the grants expired for longer than deviceTTL: until then a
// late poll still hears expired_token rather than invalid_grant.
func (d *deviceStore) prune(now time.Time) {
	for h, g := range d.byDevice {
		if now.After(g.expiresAt.Add(deviceTTL)) {
			delete(d.byDevice, h)
			delete(d.byUser, g.userCode)
		}
	}
}

// pollResult is what a token poll gets: an RFC 8628 3.5 error code, or
// the secret.
type pollResult struct {
	errCode string // "" with secret set
	desc    string
	secret  string
}

// poll answers the device's token request at now.
func (d *deviceStore) poll(deviceHash, clientID string, now time.Time) pollResult {
	d.mu.Lock()
	defer d.mu.Unlock()
	g := d.byDevice[deviceHash]
	switch {
	case g == nil || g.clientID != clientID:
		return pollResult{errCode: "invalid_grant", desc: "unknown device code; run warren login again"}
	case g.state == grantUsed:
		return pollResult{errCode: "invalid_grant", desc: "this device code was already used"}
	case !now.Before(g.expiresAt):
		g.secret = "" // approved but never collected: the key stays, unusable to anyone
		return pollResult{errCode: "expired_token", desc: "the code expired before it was approved; run warren login again"}
	}
	if !g.lastPoll.IsZero() && now.Sub(g.lastPoll) < g.interval-deviceSlack {
		g.interval += deviceSlowDownBy
		g.lastPoll = now
		return pollResult{errCode: "slow_down", desc: "polling too fast; wait " + g.interval.String() + " between polls"}
	}
	g.lastPoll = now
	switch g.state {
	case grantDenied:
		return pollResult{errCode: "access_denied", desc: "the login was denied in the browser"}
	case grantApproved:
		s := g.secret
		g.secret, g.state = "", grantUsed
		return pollResult{secret: s}
	}
	return pollResult{errCode: "authorization_pending", desc: "waiting for the code to be approved in the browser"}
}

// pending returns the grant a person may still approve or deny under
// userCode (canonical). CodeNotFound when there is none or it expired.
func (d *deviceStore) pending(userCode string, now time.Time) (deviceGrant, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	g := d.byUser[userCode]
	if g == nil || g.state != grantPending || !now.Before(g.expiresAt) {
		return deviceGrant{}, domain.Errorf(domain.CodeNotFound,
			"no device login is waiting for code %s (codes expire after %d minutes and work once)", showUserCode(userCode), int(deviceTTL/time.Minute))
	}
	return *g, nil
}

// transition moves a grant waiting under userCode from state from to to,
// at now; the same CodeNotFound as pending when it is not in from.
func (d *deviceStore) transition(userCode string, from, to grantState, now time.Time) (deviceGrant, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	g := d.byUser[userCode]
	if g == nil || g.state != from || !now.Before(g.expiresAt) {
		return deviceGrant{}, domain.Errorf(domain.CodeNotFound,
			"no device login is waiting for code %s (codes expire after %d minutes and work once)", showUserCode(userCode), int(deviceTTL/time.Minute))
	}
	g.state = to
	return *g, nil
}

// approved hands the minted key's secret to the grant, for one poll.
func (d *deviceStore) approved(userCode, secret string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if g := d.byUser[userCode]; g != nil && g.state == grantApproving {
		g.state, g.secret = grantApproved, secret
	}
}

// aborted puts a grant whose approval failed back to pending.
func (d *deviceStore) aborted(userCode string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if g := d.byUser[userCode]; g != nil && g.state == grantApproving {
		g.state = grantPending
	}
}

// newUserCode draws userCodeLen letters of userCodeAlphabet from rnd,
// uniformly (bytes past the last whole multiple of the alphabet's size
// are drawn again).
func newUserCode(rnd io.Reader) (string, error) {
	const n = len(userCodeAlphabet)
	const limit = 256 - 256%n
	out := make([]byte, 0, userCodeLen)
	buf := make([]byte, 16)
	for len(out) < userCodeLen {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return "", &domain.Error{Code: domain.CodeInternal, Message: "reading a user code", Err: err}
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < userCodeLen {
				out = append(out, userCodeAlphabet[int(b)%n])
			}
		}
	}
	return string(out), nil
}

// normalizeUserCode reads what a person typed: case, dashes and spaces
// do not matter. ok is false unless it is userCodeLen letters of the
// alphabet.
func normalizeUserCode(s string) (string, bool) {
	if len(s) > 64 {
		return "", false
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
		case r < 0x80 && strings.IndexByte(userCodeAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return b.String(), b.Len() == userCodeLen
}

// showUserCode is the canonical code as people see it: XXXX-XXXX.
func showUserCode(c string) string {
	if len(c) != userCodeLen {
		return c
	}
	return c[:4] + "-" + c[4:]
}
