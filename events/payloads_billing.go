package events

// Billing payloads: how usage is measured. A change of rule is recorded, not
// configured, so every statement can be recomputed from the log alone, and a
// month billed under one rule stays billed under it.

// BillingRuleChanged records that a bandwidth rule applies from a month on.
const BillingRuleChanged Type = "billing.rule_changed"

// Bandwidth rules.
const (
	// RuleWire counts what crossed the wire: request and response heads
	// (as HTTP/1.1 text, from the captured headers) as well as bodies.
	// Before it, only bodies were counted.
	RuleWire = "wire"
)

// BillingRuleChangedV1 says that Rule applies from the calendar month From
// (UTC, "YYYY-MM") on; months before it keep the rule they had. The event
// belongs to no account.
type BillingRuleChangedV1 struct {
	Rule string `json:"rule"`
	From string `json:"from"`
}

// BillingRuleChangedData is the current version.
type BillingRuleChangedData = BillingRuleChangedV1

func (BillingRuleChangedV1) payloadVersion() int { return 1 }
