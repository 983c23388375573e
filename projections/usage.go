package projections

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// counters is a usage rollup, stored as five big-endian int64s.
type counters struct {
	Requests      int64
	BytesIn       int64
	BytesOut      int64
	TunnelSeconds int64
	Replays       int64
}

const countersLen = 5 * 8

func readCounters(v []byte) counters {
	if len(v) != countersLen {
		return counters{}
	}
	return counters{
		Requests:      int64(binary.BigEndian.Uint64(v[0:])),
		BytesIn:       int64(binary.BigEndian.Uint64(v[8:])),
		BytesOut:      int64(binary.BigEndian.Uint64(v[16:])),
		TunnelSeconds: int64(binary.BigEndian.Uint64(v[24:])),
		Replays:       int64(binary.BigEndian.Uint64(v[32:])),
	}
}

func (c counters) bytes() []byte {
	b := make([]byte, countersLen)
	binary.BigEndian.PutUint64(b[0:], uint64(c.Requests))
	binary.BigEndian.PutUint64(b[8:], uint64(c.BytesIn))
	binary.BigEndian.PutUint64(b[16:], uint64(c.BytesOut))
	binary.BigEndian.PutUint64(b[24:], uint64(c.TunnelSeconds))
	binary.BigEndian.PutUint64(b[32:], uint64(c.Replays))
	return b
}

func (c *counters) add(d counters) {
	c.Requests += d.Requests
	c.BytesIn += d.BytesIn
	c.BytesOut += d.BytesOut
	c.TunnelSeconds += d.TunnelSeconds
	c.Replays += d.Replays
}

func bump(b *bolt.Bucket, k []byte, add counters) error {
	c := readCounters(b.Get(k))
	c.add(add)
	return b.Put(k, c.bytes())
}

const (
	dayLayout   = "2006-01-02"
	monthLayout = "2006-01"
)

// usageBatch sums the traffic of a batch of events per rollup key, so a
// batch costs one read and one write per key instead of per event.
type usageBatch struct {
	deltas map[string]*usageDelta
	// recent maps an (account, tunnel, day) seen in this batch to its three
	// deltas: a busy tunnel's captures all land on the same keys, and
	// formatting them for each event cost more than the sums.
	recent map[usageSlot]*[3]*usageDelta
}

type usageSlot struct {
	account, tunnel string
	year            int
	yday            int
}

type usageDelta struct {
	bucket []byte
	add    counters
}

func newUsageBatch() usageBatch {
	return usageBatch{deltas: map[string]*usageDelta{}, recent: map[usageSlot]*[3]*usageDelta{}}
}

// addRequest counts one captured exchange in the account's month and day
// and in the tunnel's day.
func (u usageBatch) addRequest(accountID, tunnel string, at time.Time, in, out int64, replay bool) {
	at = at.UTC()
	slot := usageSlot{account: accountID, tunnel: tunnel, year: at.Year(), yday: at.YearDay()}
	ds := u.recent[slot]
	if ds == nil {
		ds = new([3]*usageDelta)
		acc := []byte(accountID)
		day := []byte(at.Format(dayLayout))
		for i, k := range []struct {
			b []byte
			k []byte
		}{{bUsageMonth, key(acc, []byte(at.Format(monthLayout)))}, {bUsageDay, key(acc, day)}, {bUsageTunnelDay, key(acc, []byte(tunnel), day)}} {
			id := string(k.b) + "/" + string(k.k)
			d := u.deltas[id]
			if d == nil {
				d = &usageDelta{bucket: k.b}
				u.deltas[id] = d
			}
			ds[i] = d
		}
		u.recent[slot] = ds
	}
	add := counters{Requests: 1, BytesIn: in, BytesOut: out}
	if replay {
		add.Replays = 1
	}
	for _, d := range ds {
		d.add.add(add)
	}
}

func (u usageBatch) flush(tx *bolt.Tx) error {
	for id, d := range u.deltas {
		k := []byte(id[len(d.bucket)+1:])
		if err := bump(tx.Bucket(d.bucket), k, d.add); err != nil {
			return err
		}
	}
	return nil
}

// addTunnelSeconds spreads a tunnel's open time over the UTC days it spans,
// for the account and for the tunnel's name.
func addTunnelSeconds(tx *bolt.Tx, accountID, tunnel string, from, to time.Time) error {
	acc := []byte(accountID)
	for _, d := range splitDays(from, to) {
		add := counters{TunnelSeconds: d.seconds}
		if err := bump(tx.Bucket(bUsageDay), key(acc, []byte(d.day)), add); err != nil {
			return err
		}
		if err := bump(tx.Bucket(bUsageTunnelDay), key(acc, []byte(tunnel), []byte(d.day)), add); err != nil {
			return err
		}
	}
	return nil
}

type daySeconds struct {
	day     string
	seconds int64
}

func splitDays(from, to time.Time) []daySeconds {
	from, to = from.UTC(), to.UTC()
	var out []daySeconds
	for from.Before(to) {
		next := time.Date(from.Year(), from.Month(), from.Day()+1, 0, 0, 0, 0, time.UTC)
		end := to
		if next.Before(end) {
			end = next
		}
		out = append(out, daySeconds{from.Format(dayLayout), int64(end.Sub(from) / time.Second)})
		from = end
	}
	return out
}

// UsageNow is an account's plan and what it uses now.
type UsageNow struct {
	Account        domain.Account
	Plan           domain.Plan
	Tunnels        int64 // live
	Reservations   int64
	Domains        int64
	BandwidthBytes int64 // in + out this calendar month (UTC)
	Requests       int64 // this calendar month
}

// Usage returns the account's usage at now (CodeNotFound for no account).
func Usage(tx *bolt.Tx, accountID string, now time.Time) (UsageNow, error) {
	a, plan, err := AccountPlan(tx, accountID)
	if err != nil {
		return UsageNow{}, err
	}
	acc := []byte(accountID)
	m := readCounters(tx.Bucket(bUsageMonth).Get(key(acc, []byte(now.UTC().Format(monthLayout)))))
	return UsageNow{
		Account:        a,
		Plan:           plan,
		Tunnels:        countPrefix(tx.Bucket(bTunnelsLiveAcct), acc),
		Reservations:   countPrefix(tx.Bucket(bReservByAccount), acc),
		Domains:        countPrefix(tx.Bucket(bDomainsByAcct), acc),
		BandwidthBytes: m.BytesIn + m.BytesOut,
		Requests:       m.Requests,
	}, nil
}

// UsageDay is one day's rollup.
type UsageDay struct {
	Date          string `json:"date"`
	Requests      int64  `json:"requests"`
	BytesIn       int64  `json:"bytesIn"`
	BytesOut      int64  `json:"bytesOut"`
	TunnelSeconds int64  `json:"tunnelSeconds"`
}

// UsageDays returns one rollup per UTC day from..to inclusive, zeros for days
// without traffic. Live tunnels count their seconds up to now.
func UsageDays(tx *bolt.Tx, accountID string, from, to, now time.Time) ([]UsageDay, error) {
	return usageDays(tx, accountID, "", from, to, now)
}

// TunnelUsageDays is UsageDays for one tunnel name (subdomain or "tcp-<port>").
func TunnelUsageDays(tx *bolt.Tx, accountID, tunnel string, from, to, now time.Time) ([]UsageDay, error) {
	return usageDays(tx, accountID, tunnel, from, to, now)
}

func usageDays(tx *bolt.Tx, accountID, tunnel string, from, to, now time.Time) ([]UsageDay, error) {
	acc := []byte(accountID)
	b, prefix := tx.Bucket(bUsageDay), acc
	if tunnel != "" {
		b, prefix = tx.Bucket(bUsageTunnelDay), key(acc, []byte(tunnel))
	}
	live := map[string]int64{}
	tunnels, err := LiveTunnels(tx, accountID)
	if err != nil {
		return nil, err
	}
	for _, t := range tunnels {
		if tunnel != "" && TunnelName(t) != tunnel {
			continue
		}
		for _, d := range splitDays(t.OpenedAt, now) {
			live[d.day] += d.seconds
		}
	}
	var out []UsageDay
	for d := dayStart(from); !d.After(dayStart(to)); d = d.AddDate(0, 0, 1) {
		day := d.Format(dayLayout)
		c := readCounters(b.Get(key(prefix, []byte(day))))
		out = append(out, UsageDay{Date: day, Requests: c.Requests, BytesIn: c.BytesIn, BytesOut: c.BytesOut,
			TunnelSeconds: c.TunnelSeconds + live[day]})
	}
	return out, nil
}

func dayStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
