package projections

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"warren/domain"
)

// FailureLimiter counts failures per key (a client address, an account)
// and refuses a key that has spent them: Burst at once, then one per
// 1/Rate. Memory is bounded by MaxKeys. Safe for concurrent use. The
// Authenticator limits failed API keys with one; sign-in limits failed
// passwords per address and per account with two more.
type FailureLimiter struct {
	rate    rate.Limit
	burst   int
	maxKeys int
	now     func() time.Time
	what    string // in the refusal's message: "from this address"

	mu   sync.Mutex
	keys map[string]*rate.Limiter
}

// NewFailureLimiter builds a limiter; what ends the refusal's message
// ("too many failed attempts <what>").
func NewFailureLimiter(r rate.Limit, burst, maxKeys int, now func() time.Time, what string) *FailureLimiter {
	return &FailureLimiter{rate: r, burst: burst, maxKeys: maxKeys, now: now, what: what, keys: map[string]*rate.Limiter{}}
}

// Refused answers CodeQuota with a RetryAfter while k has no failure left
// to spend, nil otherwise.
func (f *FailureLimiter) Refused(k string) error {
	f.mu.Lock()
	lim := f.keys[k]
	f.mu.Unlock()
	if lim == nil {
		return nil
	}
	tokens := lim.TokensAt(f.now())
	if tokens >= 1 {
		return nil
	}
	wait := time.Duration(math.Ceil((1 - tokens) / float64(f.rate) * float64(time.Second)))
	e := domain.Errorf(domain.CodeQuota, "too many failed attempts %s; retry later", f.what)
	e.RetryAfter = max(wait, time.Second)
	return e
}

// Failed spends one of k's failures.
func (f *FailureLimiter) Failed(k string) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	lim := f.keys[k]
	if lim == nil {
		if len(f.keys) >= f.maxKeys {
			f.forget(now)
		}
		lim = rate.NewLimiter(f.rate, f.burst)
		f.keys[k] = lim
	}
	lim.AllowN(now, 1)
}

// forget drops the keys whose limit has refilled (they are as good as
// new), then, if still at the bound, any. Called with mu held.
func (f *FailureLimiter) forget(now time.Time) {
	for k, lim := range f.keys {
		if lim.TokensAt(now) >= float64(f.burst) {
			delete(f.keys, k)
		}
	}
	for k := range f.keys {
		if len(f.keys) < f.maxKeys {
			return
		}
		delete(f.keys, k)
	}
}

// Len is the number of keys remembered.
func (f *FailureLimiter) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.keys)
}
