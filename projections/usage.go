package projections

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// counters is a usage rollup, stored as four big-endian int64s.
type counters struct {
	Requests      int64
	BytesIn       int64
	BytesOut      int64
	TunnelSeconds int64
}

func readCounters(v []byte) counters {
	if len(v) != 32 {
		return counters{}
	}
	return counters{
		Requests:      int64(binary.BigEndian.Uint64(v[0:])),
		BytesIn:       int64(binary.BigEndian.Uint64(v[8:])),
		BytesOut:      int64(binary.BigEndian.Uint64(v[16:])),
		TunnelSeconds: int64(binary.BigEndian.Uint64(v[24:])),
	}
}

func (c counters) bytes() []byte {
	b := make([]byte, 32)
	binary.BigEndian.PutUint64(b[0:], uint64(c.Requests))
	binary.BigEndian.PutUint64(b[8:], uint64(c.BytesIn))
	binary.BigEndian.PutUint64(b[16:], uint64(c.BytesOut))
	binary.BigEndian.PutUint64(b[24:], uint64(c.TunnelSeconds))
	return b
}

func bump(b *bolt.Bucket, k []byte, add counters) error {
	c := readCounters(b.Get(k))
	c.Requests += add.Requests
	c.BytesIn += add.BytesIn
	c.BytesOut += add.BytesOut
	c.TunnelSeconds += add.TunnelSeconds
	return b.Put(k, c.bytes())
}

const (
	dayLayout   = "2006-01-02"
	monthLayout = "2006-01"
)

// usageBatch sums the traffic of a batch of events per rollup key, so a
// batch costs one read and one write per key instead of per event.
type usageBatch map[string]*usageDelta

type usageDelta struct {
	bucket []byte
	add    counters
}

func (u usageBatch) addTraffic(accountID string, at time.Time, in, out int64) {
	acc := []byte(accountID)
	at = at.UTC()
	for _, k := range []struct {
		b []byte
		k []byte
	}{{bUsageMonth, key(acc, []byte(at.Format(monthLayout)))}, {bUsageDay, key(acc, []byte(at.Format(dayLayout)))}} {
		id := string(k.b) + "/" + string(k.k)
		d := u[id]
		if d == nil {
			d = &usageDelta{bucket: k.b}
			u[id] = d
		}
		d.add.Requests++
		d.add.BytesIn += in
		d.add.BytesOut += out
	}
}

func (u usageBatch) flush(tx *bolt.Tx) error {
	for id, d := range u {
		k := []byte(id[len(d.bucket)+1:])
		if err := bump(tx.Bucket(d.bucket), k, d.add); err != nil {
			return err
		}
	}
	return nil
}

// addTunnelSeconds spreads a tunnel's open time over the UTC days it spans.
func addTunnelSeconds(tx *bolt.Tx, accountID string, from, to time.Time) error {
	b := tx.Bucket(bUsageDay)
	for _, d := range splitDays(from, to) {
		if err := bump(b, key([]byte(accountID), []byte(d.day)), counters{TunnelSeconds: d.seconds}); err != nil {
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

// MonthBandwidth returns an account's in + out bytes in now's calendar month.
func MonthBandwidth(tx *bolt.Tx, accountID string, now time.Time) int64 {
	m := readCounters(tx.Bucket(bUsageMonth).Get(key([]byte(accountID), []byte(now.UTC().Format(monthLayout)))))
	return m.BytesIn + m.BytesOut
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
	acc := []byte(accountID)
	b := tx.Bucket(bUsageDay)
	live := map[string]int64{}
	tunnels, err := LiveTunnels(tx, accountID)
	if err != nil {
		return nil, err
	}
	for _, t := range tunnels {
		for _, d := range splitDays(t.OpenedAt, now) {
			live[d.day] += d.seconds
		}
	}
	var out []UsageDay
	for d := dayStart(from); !d.After(dayStart(to)); d = d.AddDate(0, 0, 1) {
		day := d.Format(dayLayout)
		c := readCounters(b.Get(key(acc, []byte(day))))
		out = append(out, UsageDay{Date: day, Requests: c.Requests, BytesIn: c.BytesIn, BytesOut: c.BytesOut,
			TunnelSeconds: c.TunnelSeconds + live[day]})
	}
	return out, nil
}

func dayStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
