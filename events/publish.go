package events

import (
	"github.com/ThreeDotsLabs/watermill/message"
)

// Topics committed events are published on.
const (
	// TopicEvents carries every event.
	TopicEvents = "events"
	// TopicRequests carries request.captured events only (the SSE streams).
	TopicRequests = "requests"
	// TopicControl carries every event but request.captured: what session
	// control (revocations, releases, plan changes) listens to, without a
	// wake-up per captured request.
	TopicControl = "control"
)

// Metadata keys set on published messages. The message UUID is the event ULID
// and the payload its stored bytes (Decode them).
const (
	MetaType    = "type"
	MetaAccount = "account"
)

// publish hands committed events (and their stored bytes, never changed
// again) to the publisher. GoChannel drops messages nobody subscribes to and
// may reorder: subscribers read the log for truth and order, and use messages
// as wake-ups.
func (l *Log) publish(evs []Event, raws [][]byte) {
	if l.opts.Publisher == nil || len(evs) == 0 {
		return
	}
	all := make([]*message.Message, 0, len(evs))
	var reqs, control []*message.Message
	for i := range evs {
		ev := &evs[i]
		m := message.NewMessage(ev.ID.String(), raws[i])
		m.Metadata.Set(MetaType, string(ev.Type))
		m.Metadata.Set(MetaAccount, ev.Account)
		all = append(all, m)
		if ev.Type == RequestCaptured {
			reqs = append(reqs, m.Copy())
		} else {
			control = append(control, m.Copy())
		}
	}
	// GoChannel's Publish fails only once closed; the log stays the truth.
	_ = l.opts.Publisher.Publish(TopicEvents, all...)
	if len(reqs) > 0 {
		_ = l.opts.Publisher.Publish(TopicRequests, reqs...)
	}
	if len(control) > 0 {
		_ = l.opts.Publisher.Publish(TopicControl, control...)
	}
}
