package projections

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/events"
)

// Bandwidth rules. Until billing.rule_changed {rule: "wire"} every month
// counted body bytes only; from its month on, bandwidth is what crossed the
// wire (bodies and heads, events.Heads). The rollups always count both, so
// the rule decides only what a figure shows, and a month keeps the rule it
// had: a closed statement never changes.

// applyBillingRuleChanged records the first month of a rule. The first
// event for a rule wins: the rule is adopted once, and a second event (two
// servers racing on one log cannot, but a hand-made log can) must not move
// months already billed.
func applyBillingRuleChanged(tx *bolt.Tx, _ *events.Event, d *events.BillingRuleChangedData) error {
	b := tx.Bucket(bBilling)
	if b.Get([]byte(d.Rule)) != nil {
		return nil
	}
	return b.Put([]byte(d.Rule), []byte(d.From))
}

// WireFrom returns the first month ("YYYY-MM") that counts wire bytes, ""
// while the log records none.
func WireFrom(tx *bolt.Tx) string {
	return string(tx.Bucket(bBilling).Get([]byte(events.RuleWire)))
}

// wireMonth reports whether a month ("YYYY-MM") or a day ("YYYY-MM-DD")
// falls under the wire rule, given WireFrom.
func wireMonth(from, monthOrDay string) bool {
	return from != "" && len(monthOrDay) >= len(monthLayout) && monthOrDay[:len(monthLayout)] >= from
}

// AdoptWireRule records, once, that bandwidth counts the wire from the
// month after the writer's now (UTC): the month under way, and those before it, were
// counted on bodies and stay so. A log with no traffic at all has nothing
// to keep, so it counts the wire from now's month. It appends nothing
// when the rule is already recorded. Server start runs it.
func AdoptWireRule() events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		if WireFrom(tx.Tx) != "" {
			return nil, nil
		}
		now := tx.Now().UTC()
		month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		if k, _ := tx.Bucket(bUsageMonth).Cursor().First(); k != nil {
			month = month.AddDate(0, 1, 0)
		}
		return []events.Draft{{Type: events.BillingRuleChanged,
			Data: events.BillingRuleChangedData{Rule: events.RuleWire, From: month.Format(monthLayout)}}}, nil
	}
}
