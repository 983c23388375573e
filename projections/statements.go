package projections

import (
	"bytes"
	"math"
	"sort"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// holding is a span during which an account held a reservation or a custom
// domain; To is zero while it still does.
type holding struct {
	Name string    `json:"name"`
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
}

const (
	holdReservation = "r"
	holdDomain      = "d"
)

func holdingKey(accountID, kind string, id ulid.ULID) []byte {
	return key([]byte(accountID), []byte(kind), id[:])
}

func startHolding(tx *bolt.Tx, accountID, kind string, id ulid.ULID, name string, at time.Time) error {
	return putJSON(tx.Bucket(bHoldings), holdingKey(accountID, kind, id), holding{Name: name, From: at})
}

// heldID reports whether the account ever held the reservation or domain
// with this id: holdings outlive the record, so a list's cursor on an item
// removed since its page was read still has a place.
func heldID(tx *bolt.Tx, accountID, kind string, id ulid.ULID) bool {
	return tx.Bucket(bHoldings).Get(holdingKey(accountID, kind, id)) != nil
}

// heldName returns the id of the account's latest holding of that kind and
// name (a released reservation's place in the list), ok=false for none.
func heldName(tx *bolt.Tx, accountID, kind, name string) (ulid.ULID, bool, error) {
	p := key([]byte(accountID), []byte(kind), nil)
	c := tx.Bucket(bHoldings).Cursor()
	var last ulid.ULID
	found := false
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		var h holding
		if err := jsonUnmarshal(v, &h); err != nil {
			return last, false, err
		}
		if h.Name == name && len(k) == len(p)+len(last) {
			copy(last[:], k[len(p):])
			found = true
		}
	}
	return last, found, nil
}

func endHolding(tx *bolt.Tx, accountID, kind string, id ulid.ULID, at time.Time) error {
	b := tx.Bucket(bHoldings)
	k := holdingKey(accountID, kind, id)
	var h holding
	if ok, err := getJSON(b, k, &h); err != nil || !ok {
		return err
	}
	h.To = at
	return putJSON(b, k, h)
}

// Statement is an account's bill of a calendar month (UTC), computed from
// rollups and spans kept by the projections, never from the raw log.
type Statement struct {
	AccountID  string `json:"accountId"`
	Email      string `json:"email"`
	Plan       string `json:"plan"`
	Month      string `json:"month"` // YYYY-MM
	Closed     bool   `json:"closed"`
	Requests   int64  `json:"requests"`
	BytesIn    int64  `json:"bytesIn"`
	BytesOut   int64  `json:"bytesOut"`
	BytesTotal int64  `json:"bytesTotal"`
	// From the month of the wire rule on, bytesIn and bytesOut count the
	// wire (bodies and heads) and these the bodies alone; before it they
	// are absent and bytesIn/bytesOut count bodies, as those statements
	// always did (a closed month renders byte for byte as it was).
	BandwidthRule   string  `json:"bandwidthRule,omitempty"`
	BodyBytesIn     *int64  `json:"bodyBytesIn,omitempty"`
	BodyBytesOut    *int64  `json:"bodyBytesOut,omitempty"`
	TunnelSeconds   int64   `json:"tunnelSeconds"`
	PeakTunnels     int     `json:"peakConcurrentTunnels"`
	ReservationDays float64 `json:"reservationDays"`
	DomainDays      float64 `json:"domainDays"`
	Replays         int64   `json:"replays"`
}

// ParseMonth parses "YYYY-MM" (CodeInvalid otherwise) into its first instant.
func ParseMonth(s string) (time.Time, error) {
	m, err := time.Parse(monthLayout, s)
	if err != nil || m.Format(monthLayout) != s {
		return time.Time{}, domain.Errorf(domain.CodeInvalid, "month %q is not YYYY-MM", s)
	}
	return m.UTC(), nil
}

// MonthStatement computes the account's statement for the month starting at
// month. A month that ended before now is closed: nothing after it can
// change it, since every figure is bounded by the month's end.
func MonthStatement(tx *bolt.Tx, accountID string, month, now time.Time) (Statement, error) {
	a, err := Account(tx, accountID)
	if err != nil {
		return Statement{}, err
	}
	start := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	st := Statement{AccountID: a.ID, Email: a.Email, Plan: a.Plan, Month: start.Format(monthLayout), Closed: !now.Before(end)}
	upTo := end
	if now.Before(end) {
		upTo = now
	}
	days, err := usageDays(tx, accountID, "", start, end.Add(-time.Nanosecond), upTo)
	if err != nil {
		return st, err
	}
	var bodyIn, bodyOut int64
	for _, d := range days {
		st.Requests += d.Requests
		st.BytesIn += d.bw.BytesIn
		st.BytesOut += d.bw.BytesOut
		bodyIn += d.bw.BodyBytesIn
		bodyOut += d.bw.BodyBytesOut
		st.TunnelSeconds += d.TunnelSeconds
	}
	st.BytesTotal = st.BytesIn + st.BytesOut
	if wireMonth(WireFrom(tx), st.Month) {
		st.BandwidthRule, st.BodyBytesIn, st.BodyBytesOut = events.RuleWire, &bodyIn, &bodyOut
	}
	st.Replays = readCounters(tx.Bucket(bUsageMonth).Get(key([]byte(accountID), []byte(st.Month)))).Replays

	if st.PeakTunnels, err = peakTunnels(tx, accountID, start, upTo); err != nil {
		return st, err
	}
	if st.ReservationDays, err = heldDays(tx, accountID, holdReservation, start, upTo); err != nil {
		return st, err
	}
	st.DomainDays, err = heldDays(tx, accountID, holdDomain, start, upTo)
	return st, err
}

// peakTunnels sweeps the account's tunnel spans that overlap [from, to).
func peakTunnels(tx *bolt.Tx, accountID string, from, to time.Time) (int, error) {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	err := listNewest(tx.Bucket(bTunnelsByAcct), []byte(accountID), ulid.ULID{}, math.MaxInt, func(_, id []byte) error {
		t, err := Tunnel(tx, string(id))
		if err != nil {
			return err
		}
		open, closed := t.OpenedAt, to
		if t.ClosedAt != nil && t.ClosedAt.Before(to) {
			closed = *t.ClosedAt
		}
		if open.Before(from) {
			open = from
		}
		if open.Before(closed) {
			edges = append(edges, edge{open, 1}, edge{closed, -1})
		}
		return nil
	})
	sort.Slice(edges, func(i, j int) bool {
		if !edges[i].at.Equal(edges[j].at) {
			return edges[i].at.Before(edges[j].at)
		}
		return edges[i].delta < edges[j].delta // a close and an open at one instant do not overlap
	})
	peak, live := 0, 0
	for _, e := range edges {
		live += e.delta
		peak = max(peak, live)
	}
	return peak, err
}

// heldDays sums the spans of one kind of holding within [from, to), in days
// rounded to a thousandth.
func heldDays(tx *bolt.Tx, accountID, kind string, from, to time.Time) (float64, error) {
	p := key([]byte(accountID), []byte(kind), nil)
	var total time.Duration
	c := tx.Bucket(bHoldings).Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		var h holding
		if err := jsonUnmarshal(v, &h); err != nil {
			return 0, err
		}
		start, end := h.From, to
		if !h.To.IsZero() && h.To.Before(to) {
			end = h.To
		}
		if start.Before(from) {
			start = from
		}
		if start.Before(end) {
			total += end.Sub(start)
		}
	}
	return math.Round(total.Hours()/24*1000) / 1000, nil
}

// AllStatements returns every account's statement for a month, oldest account first.
func AllStatements(tx *bolt.Tx, month, now time.Time) ([]Statement, error) {
	var out []Statement
	err := tx.Bucket(bAccounts).ForEach(func(k, _ []byte) error {
		st, err := MonthStatement(tx, string(k), month, now)
		out = append(out, st)
		return err
	})
	return out, err
}
