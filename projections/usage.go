package projections

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// counters is a usage rollup, stored as seven big-endian int64s. BytesIn
// and BytesOut are body bytes; HeadIn and HeadOut the heads that carried
// them (events.Heads), counted whatever the billing rule, so that a rule
// taking effect has every figure it needs.
type counters struct {
	Requests      int64
	BytesIn       int64
	BytesOut      int64
	TunnelSeconds int64
	Replays       int64
	HeadIn        int64
	HeadOut       int64
}

const (
	countersLen = 7 * 8
	// countersLenV1 is the rollup before heads were counted (a data dir
	// of an older binary, which rebuilds at start since p_billing is
	// new to it; read as having no heads all the same).
	countersLenV1 = 5 * 8
)

func readCounters(v []byte) counters {
	if len(v) != countersLen && len(v) != countersLenV1 {
		return counters{}
	}
	c := counters{
		Requests:      int64(binary.BigEndian.Uint64(v[0:])),
		BytesIn:       int64(binary.BigEndian.Uint64(v[8:])),
		BytesOut:      int64(binary.BigEndian.Uint64(v[16:])),
		TunnelSeconds: int64(binary.BigEndian.Uint64(v[24:])),
		Replays:       int64(binary.BigEndian.Uint64(v[32:])),
	}
	if len(v) == countersLen {
		c.HeadIn = int64(binary.BigEndian.Uint64(v[40:]))
		c.HeadOut = int64(binary.BigEndian.Uint64(v[48:]))
	}
	return c
}

func (c counters) bytes() []byte {
	b := make([]byte, countersLen)
	binary.BigEndian.PutUint64(b[0:], uint64(c.Requests))
	binary.BigEndian.PutUint64(b[8:], uint64(c.BytesIn))
	binary.BigEndian.PutUint64(b[16:], uint64(c.BytesOut))
	binary.BigEndian.PutUint64(b[24:], uint64(c.TunnelSeconds))
	binary.BigEndian.PutUint64(b[32:], uint64(c.Replays))
	binary.BigEndian.PutUint64(b[40:], uint64(c.HeadIn))
	binary.BigEndian.PutUint64(b[48:], uint64(c.HeadOut))
	return b
}

func (c *counters) add(d counters) {
	c.Requests += d.Requests
	c.BytesIn += d.BytesIn
	c.BytesOut += d.BytesOut
	c.TunnelSeconds += d.TunnelSeconds
	c.Replays += d.Replays
	c.HeadIn += d.HeadIn
	c.HeadOut += d.HeadOut
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
	paths  pathBatch // the tunnels' path columns (request_paths.go)
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
	return usageBatch{deltas: map[string]*usageDelta{}, recent: map[usageSlot]*[3]*usageDelta{}, paths: pathBatch{}}
}

// addRequest counts one captured exchange (bodies in and out, and heads) in
// the account's month and day and in the tunnel's day.
func (u usageBatch) addRequest(accountID, tunnel string, at time.Time, in, out int64, heads events.Heads, replay bool) {
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
	add := counters{Requests: 1, BytesIn: in, BytesOut: out, HeadIn: heads.In, HeadOut: heads.Out}
	if replay {
		add.Replays = 1
	}
	for _, d := range ds {
		d.add.add(add)
	}
}

func (u usageBatch) flush(tx *bolt.Tx) error {
	if err := u.paths.flush(tx); err != nil {
		return err
	}
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
	Account       domain.Account
	Plan          domain.Plan
	Tunnels       int64 // live
	Reservations  int64 // subdomains
	ReservedPorts int64 // TCP ports
	Domains       int64
	// BandwidthBytes is BytesIn + BytesOut: what the plan's bandwidth
	// limit is held against.
	BandwidthBytes int64
	Requests       int64 // this calendar month
	Bandwidth      Bandwidth
}

// Bandwidth is a period's traffic under its billing rule: BytesIn and
// BytesOut count the wire (bodies and heads) when Rule is
// events.RuleWire, bodies only when it is RuleBody; the Body fields
// count bodies either way.
type Bandwidth struct {
	Rule         string
	BytesIn      int64
	BytesOut     int64
	BodyBytesIn  int64
	BodyBytesOut int64
}

// RuleBody is the rule of months before the wire rule: bodies only.
const RuleBody = "body"

func bandwidth(c counters, wire bool) Bandwidth {
	b := Bandwidth{Rule: RuleBody, BytesIn: c.BytesIn, BytesOut: c.BytesOut, BodyBytesIn: c.BytesIn, BodyBytesOut: c.BytesOut}
	if wire {
		b.Rule, b.BytesIn, b.BytesOut = events.RuleWire, c.BytesIn+c.HeadIn, c.BytesOut+c.HeadOut
	}
	return b
}

// Usage returns the account's usage at now (CodeNotFound for no account);
// bandwidth is this calendar month's (UTC) under its rule.
func Usage(tx *bolt.Tx, accountID string, now time.Time) (UsageNow, error) {
	a, plan, err := AccountPlan(tx, accountID)
	if err != nil {
		return UsageNow{}, err
	}
	acc := []byte(accountID)
	month := now.UTC().Format(monthLayout)
	m := readCounters(tx.Bucket(bUsageMonth).Get(key(acc, []byte(month))))
	bw := bandwidth(m, wireMonth(WireFrom(tx), month))
	subs, ports := countReservations(tx, accountID)
	return UsageNow{
		Account:        a,
		Plan:           plan,
		Tunnels:        accountCount(tx, accountID, countLiveTunnels),
		Reservations:   subs,
		ReservedPorts:  ports,
		Domains:        accountCount(tx, accountID, countDomains),
		BandwidthBytes: bw.BytesIn + bw.BytesOut,
		Requests:       m.Requests,
		Bandwidth:      bw,
	}, nil
}

// UsageDay is one day's rollup; BytesIn and BytesOut under the rule of its
// month, as Bandwidth says.
type UsageDay struct {
	Date          string `json:"date"`
	Requests      int64  `json:"requests"`
	BytesIn       int64  `json:"bytesIn"`
	BytesOut      int64  `json:"bytesOut"`
	TunnelSeconds int64  `json:"tunnelSeconds"`
}

// dayUsage is a UsageDay with its bandwidth in full (statements need the
// body-only figures beside).
type dayUsage struct {
	UsageDay
	bw Bandwidth
}

// UsageDays returns one rollup per UTC day from..to inclusive, zeros for days
// without traffic. Live tunnels count their seconds up to now.
func UsageDays(tx *bolt.Tx, accountID string, from, to, now time.Time) ([]UsageDay, error) {
	return plainDays(usageDays(tx, accountID, "", from, to, now))
}

// TunnelUsageDays is UsageDays for one tunnel name (subdomain or "tcp-<port>").
func TunnelUsageDays(tx *bolt.Tx, accountID, tunnel string, from, to, now time.Time) ([]UsageDay, error) {
	return plainDays(usageDays(tx, accountID, tunnel, from, to, now))
}

func plainDays(ds []dayUsage, err error) ([]UsageDay, error) {
	if ds == nil {
		return nil, err
	}
	out := make([]UsageDay, len(ds))
	for i, d := range ds {
		out[i] = d.UsageDay
	}
	return out, err
}

func usageDays(tx *bolt.Tx, accountID, tunnel string, from, to, now time.Time) ([]dayUsage, error) {
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
	var out []dayUsage
	wireFrom := WireFrom(tx)
	for d := dayStart(from); !d.After(dayStart(to)); d = d.AddDate(0, 0, 1) {
		day := d.Format(dayLayout)
		c := readCounters(b.Get(key(prefix, []byte(day))))
		bw := bandwidth(c, wireMonth(wireFrom, day))
		out = append(out, dayUsage{UsageDay{Date: day, Requests: c.Requests, BytesIn: bw.BytesIn, BytesOut: bw.BytesOut,
			TunnelSeconds: c.TunnelSeconds + live[day]}, bw})
	}
	return out, nil
}

func dayStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
