package projections

import (
	"net"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/time/rate"

	"warren/domain"
)

// AuthConfig tunes an Authenticator. Zero values take the defaults.
type AuthConfig struct {
	// FailureRate and FailureBurst limit failed authentications per client
	// address: FailureBurst failures at once, then one per 1/FailureRate
	// (defaults: 10, then one every 6 s). A request that brings no
	// credential at all is no failure.
	FailureRate  rate.Limit
	FailureBurst int
	// MaxClients bounds the addresses remembered (default 65,536): past it,
	// addresses whose limit has refilled are forgotten first, then any.
	MaxClients int
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Authenticator resolves API keys for the HTTP API and the agent endpoint
// alike: one parser, one lookup, one answer for unknown and revoked keys,
// and one per-address limit on failures, whichever door they knock on.
// It is safe for concurrent use.
type Authenticator struct {
	db  *bolt.DB
	cfg AuthConfig

	clients *FailureLimiter // by client address (IPv6: its /64)
}

// NewAuthenticator reads keys and accounts from db's projections.
func NewAuthenticator(db *bolt.DB, cfg AuthConfig) *Authenticator {
	if cfg.FailureRate <= 0 {
		cfg.FailureRate = rate.Every(6 * time.Second)
	}
	if cfg.FailureBurst <= 0 {
		cfg.FailureBurst = 10
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = 1 << 16
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Authenticator{db: db, cfg: cfg,
		clients: NewFailureLimiter(cfg.FailureRate, cfg.FailureBurst, cfg.MaxClients, cfg.Now, "from this address")}
}

// Authenticate checks the Authorization header value of a request from
// remoteAddr ("ip:port", as http.Request.RemoteAddr) and returns the key and
// its account, read afresh so a revocation counts from the next request.
// Errors: CodeUnauthorized for a missing, malformed, unknown or revoked key
// (unknown and revoked with the same message); CodeQuota with RetryAfter
// while the address is over its limit of failures, for any request that
// brings a credential, before the key is looked at, so guessing gains
// nothing there; CodeInternal for a read error.
func (a *Authenticator) Authenticate(header, remoteAddr string) (domain.Account, domain.APIKey, error) {
	secret, presented, err := domain.BearerSecret(header)
	if !presented {
		return domain.Account{}, domain.APIKey{}, err // no attempt: nothing to count or refuse
	}
	client := clientKey(remoteAddr)
	if err := a.clients.Refused(client); err != nil {
		return domain.Account{}, domain.APIKey{}, err
	}
	if err != nil {
		a.clients.Failed(client)
		return domain.Account{}, domain.APIKey{}, err
	}
	type found struct {
		acc domain.Account
		key domain.APIKey
	}
	hash := domain.HashKeySecret(secret)
	f, err := View(a.db, func(tx *bolt.Tx) (found, error) {
		k, err := KeyByHash(tx, hash) // compares the stored hash in constant time
		if err != nil {
			return found{}, err
		}
		acc, err := Account(tx, k.AccountID)
		return found{acc, k}, err
	})
	switch {
	case domain.ErrorCode(err) == domain.CodeNotFound, err == nil && f.key.Revoked():
		a.clients.Failed(client)
		return domain.Account{}, domain.APIKey{}, domain.BadKeyError()
	case err != nil:
		return domain.Account{}, domain.APIKey{}, err
	}
	return f.acc, f.key, nil
}

// Refused answers CodeQuota with a RetryAfter while the client at
// remoteAddr has spent its failures (of API keys, set-password tokens or
// passwords: one budget per address for every secret it guesses at).
func (a *Authenticator) Refused(remoteAddr string) error {
	return a.clients.Refused(clientKey(remoteAddr))
}

// Failed spends one of remoteAddr's failures.
func (a *Authenticator) Failed(remoteAddr string) { a.clients.Failed(clientKey(remoteAddr)) }

// clientKey is the address failures are counted against: the IP without
// its port, and for IPv6 its /64, which one host usually holds whole.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}
