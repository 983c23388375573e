package edge

import (
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

// usageCache keeps each account's plan and monthly bandwidth for a short TTL,
// so the hot path is a map read rather than a bbolt transaction per request.
// Bytes proxied since the last read are added locally, so the cache only
// lags by what is still queued for appending.
type usageCache struct {
	log *events.Log
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]*acctUsage
}

type acctUsage struct {
	plan    domain.Plan
	used    int64 // bandwidth this month, bytes, under the month's rule
	local   int64 // bytes proxied since fetched, likewise
	wire    bool  // the month counts heads (events.RuleWire)
	fetched time.Time
}

func newUsageCache(log *events.Log, ttl time.Duration, now func() time.Time) *usageCache {
	return &usageCache{log: log, ttl: ttl, now: now, m: map[string]*acctUsage{}}
}

// get returns a snapshot of an account's plan and usage.
func (c *usageCache) get(accountID string) (acctUsage, error) {
	now := c.now()
	c.mu.Lock()
	u := c.m[accountID]
	if u != nil && now.Sub(u.fetched) < c.ttl {
		snap := *u
		c.mu.Unlock()
		return snap, nil
	}
	c.mu.Unlock()
	un, err := projections.View(c.log.DB(), func(tx *bolt.Tx) (projections.UsageNow, error) {
		return projections.Usage(tx, accountID, now)
	})
	if err != nil {
		return acctUsage{}, err
	}
	fresh := &acctUsage{plan: un.Plan, used: un.BandwidthBytes, wire: un.Bandwidth.Rule == events.RuleWire, fetched: now}
	c.mu.Lock()
	c.m[accountID] = fresh
	snap := *fresh
	c.mu.Unlock()
	return snap, nil
}

// add counts an exchange proxied since the last fetch as the month's rule
// does: its bodies, and its heads under the wire rule. (The projection
// measures sealed headers as sealed; the few bytes that differ here last
// until the next fetch.)
func (c *usageCache) add(accountID string, cr *domain.CapturedRequest) {
	n := cr.BytesIn + cr.BytesOut
	c.mu.Lock()
	if u := c.m[accountID]; u != nil {
		if u.wire {
			h := events.CapturedHeads(cr)
			n += h.In + h.Out
		}
		u.local += n
	}
	c.mu.Unlock()
}

// forget drops an account's entry (plan changed).
func (c *usageCache) forget(accountID string) {
	c.mu.Lock()
	delete(c.m, accountID)
	c.mu.Unlock()
}

// over reports whether the month's bandwidth is spent.
func (u acctUsage) over() bool {
	return !domain.Allows(u.plan.Limits.BandwidthBytes, u.used+u.local)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
