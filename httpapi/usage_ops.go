package httpapi

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// quantitiesJSON is the limits or the use of GET /v1/usage; null is unlimited.
type quantitiesJSON struct {
	Domains        *int64 `json:"domains"`
	Tunnels        *int64 `json:"tunnels"`
	BandwidthBytes *int64 `json:"bandwidthBytes"`
}

// usageJSON is GET /v1/usage, in osmRouter's shape, and the month's
// bandwidth in detail beside it.
type usageJSON struct {
	Plan      string             `json:"plan"`
	Limits    quantitiesJSON     `json:"limits"`
	Used      quantitiesJSON     `json:"used"`
	Bandwidth monthBandwidthJSON `json:"bandwidth"`
}

// monthBandwidthJSON is this month's traffic: bytesIn and bytesOut under
// the month's rule ("wire": bodies and heads; "body": bodies only, the
// rule of months before the wire rule), bodies alone beside them.
// used.bandwidthBytes is bytesIn + bytesOut.
type monthBandwidthJSON struct {
	Rule         string `json:"rule"`
	BytesIn      int64  `json:"bytesIn"`
	BytesOut     int64  `json:"bytesOut"`
	BodyBytesIn  int64  `json:"bodyBytesIn"`
	BodyBytesOut int64  `json:"bodyBytesOut"`
}

// currentUsage is the account's plan, its limits and what it uses at now
// (bandwidth: in + out this calendar month, UTC, under the month's rule).
func currentUsage(db *bolt.DB, accountID string, now time.Time) (usageJSON, error) {
	u, err := projections.View(db, func(tx *bolt.Tx) (projections.UsageNow, error) {
		return projections.Usage(tx, accountID, now)
	})
	if err != nil {
		return usageJSON{}, err
	}
	return usageJSON{
		Plan: u.Plan.Name,
		Limits: quantitiesJSON{
			Domains: u.Plan.Limits.Domains, Tunnels: u.Plan.Limits.Tunnels, BandwidthBytes: u.Plan.Limits.BandwidthBytes,
		},
		Used: quantitiesJSON{Domains: &u.Domains, Tunnels: &u.Tunnels, BandwidthBytes: &u.BandwidthBytes},
		Bandwidth: monthBandwidthJSON{Rule: u.Bandwidth.Rule, BytesIn: u.Bandwidth.BytesIn, BytesOut: u.Bandwidth.BytesOut,
			BodyBytesIn: u.Bandwidth.BodyBytesIn, BodyBytesOut: u.Bandwidth.BodyBytesOut},
	}, nil
}

// bandwidthJSON is one day's bytes, under the rule of its month (see
// monthBandwidthJSON).
type bandwidthJSON struct {
	In    int64 `json:"in"`
	Out   int64 `json:"out"`
	Total int64 `json:"total"`
}

// usageDayJSON is one day of GET /v1/usage/history.
type usageDayJSON struct {
	Date           string        `json:"date"`
	Requests       int64         `json:"requests"`
	BandwidthBytes bandwidthJSON `json:"bandwidthBytes"`
	TunnelSeconds  int64         `json:"tunnelSeconds"`
}

// usageHistoryJSON is GET /v1/usage/history.
type usageHistoryJSON struct {
	From   string         `json:"from"`
	To     string         `json:"to"`
	Tunnel string         `json:"tunnel,omitempty"`
	Days   []usageDayJSON `json:"days"`
}

const (
	historyDefaultDays = 30
	historyMaxDays     = 366
	dateLayout         = "2006-01-02"
)

// historyRange parses ?from=&to= (YYYY-MM-DD, UTC, inclusive). to defaults
// to today, from to 29 days before to. CodeInvalid for a bad date, from
// after to, or more than 366 days.
func historyRange(fromS, toS string, now time.Time) (from, to time.Time, err error) {
	now = now.UTC()
	to = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if toS != "" {
		if to, err = time.Parse(dateLayout, toS); err != nil {
			return from, to, domain.Errorf(domain.CodeInvalid, "to %q is not a date (YYYY-MM-DD)", toS)
		}
	}
	from = to.AddDate(0, 0, -(historyDefaultDays - 1))
	if fromS != "" {
		if from, err = time.Parse(dateLayout, fromS); err != nil {
			return from, to, domain.Errorf(domain.CodeInvalid, "from %q is not a date (YYYY-MM-DD)", fromS)
		}
	}
	if from.After(to) {
		return from, to, domain.Errorf(domain.CodeInvalid, "from %s is after to %s", from.Format(dateLayout), to.Format(dateLayout))
	}
	if days := int(to.Sub(from).Hours()/24) + 1; days > historyMaxDays {
		return from, to, domain.Errorf(domain.CodeInvalid, "from..to spans %d days; at most %d", days, historyMaxDays)
	}
	return from, to, nil
}

// usageHistory returns one rollup per day of the range, zeros for days
// without traffic; for one tunnel name (subdomain or tcp-<port>) when tunnel
// is set.
func usageHistory(db *bolt.DB, accountID, fromS, toS, tunnel string, now time.Time) (usageHistoryJSON, error) {
	from, to, err := historyRange(fromS, toS, now)
	if err != nil {
		return usageHistoryJSON{}, err
	}
	days, err := projections.View(db, func(tx *bolt.Tx) ([]projections.UsageDay, error) {
		if _, err := projections.Account(tx, accountID); err != nil {
			return nil, err
		}
		if tunnel != "" {
			return projections.TunnelUsageDays(tx, accountID, tunnel, from, to, now)
		}
		return projections.UsageDays(tx, accountID, from, to, now)
	})
	if err != nil {
		return usageHistoryJSON{}, err
	}
	out := usageHistoryJSON{From: from.Format(dateLayout), To: to.Format(dateLayout), Tunnel: tunnel, Days: make([]usageDayJSON, 0, len(days))}
	for _, d := range days {
		out.Days = append(out.Days, usageDayJSON{
			Date: d.Date, Requests: d.Requests, TunnelSeconds: d.TunnelSeconds,
			BandwidthBytes: bandwidthJSON{In: d.BytesIn, Out: d.BytesOut, Total: d.BytesIn + d.BytesOut},
		})
	}
	return out, nil
}
