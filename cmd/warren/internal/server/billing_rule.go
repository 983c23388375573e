package server

import (
	"context"

	"warren/events"
	"warren/projections"
)

// adoptWireRule records, on the first start of a binary that counts heads,
// from which month bandwidth is what crossed the wire (the month after
// this start; at once for a log without traffic), so statements of months
// already under way or closed never change. Later starts find it recorded
// and append nothing. It runs after bootstrap (which needs an empty log to
// know a first start), so a failure here must not lose the operator key
// just made: it is logged, bandwidth keeps counting bodies, and the next
// start tries again.
func (m *Main) adoptWireRule(ctx context.Context) {
	evs, err := m.Log.Execute(ctx, projections.AdoptWireRule())
	if err != nil {
		m.cfg.Logger.Error("recording the bandwidth rule failed; bandwidth counts bodies only until a start records it", "err", err)
		return
	}
	for _, ev := range evs {
		var d events.BillingRuleChangedData
		if ev.DecodeData(&d) == nil {
			m.cfg.Logger.Info("bandwidth counts request and response heads as well as bodies", "rule", d.Rule, "from", d.From)
		}
	}
}
