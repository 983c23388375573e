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

// publish hands a commit's events (and their stored bytes, never changed
// again) to the publisher. GoChannel drops messages nobody subscribes to and
// may reorder: subscribers read the log for truth and order, and use messages
// as wake-ups. So captured requests, hundreds per commit under load, are
// published as one message per account and commit (its last captured event
// there): every subscriber of requests filters by account and reads the log
// past its cursor, and a message per event cost more than the rest of the
// publishing together. Every other event is published alone.
func (l *Log) publish(reqs []*appendReq) {
	if l.opts.Publisher == nil {
		return
	}
	// The last captured event of each account, found before any message is
	// built: building one per captured event cost more than the rest.
	type pos struct{ req, ev int }
	var lastCaptured map[string]pos
	var accounts []string // in order of first capture
	for i, r := range reqs {
		if r.err != nil {
			continue
		}
		for j := range r.evs {
			if ev := &r.evs[j]; ev.Type == RequestCaptured {
				if lastCaptured == nil {
					lastCaptured = map[string]pos{}
				}
				if _, seen := lastCaptured[ev.Account]; !seen {
					accounts = append(accounts, ev.Account)
				}
				lastCaptured[ev.Account] = pos{i, j}
			}
		}
	}
	newMessage := func(r *appendReq, i int) *message.Message {
		ev := &r.evs[i]
		m := message.NewMessage(ev.ID.String(), r.raws[i])
		m.Metadata.Set(MetaType, string(ev.Type))
		m.Metadata.Set(MetaAccount, ev.Account)
		return m
	}
	var all, captured, control []*message.Message
	for _, r := range reqs {
		if r.err != nil {
			continue
		}
		for i := range r.evs {
			if r.evs[i].Type != RequestCaptured {
				m := newMessage(r, i)
				all = append(all, m)
				control = append(control, m.Copy())
			}
		}
	}
	for _, acc := range accounts {
		p := lastCaptured[acc]
		captured = append(captured, newMessage(reqs[p.req], p.ev))
	}
	for _, m := range captured {
		all = append(all, m.Copy())
	}
	// GoChannel's Publish fails only once closed; the log stays the truth.
	if len(all) > 0 {
		_ = l.opts.Publisher.Publish(TopicEvents, all...)
	}
	if len(captured) > 0 {
		_ = l.opts.Publisher.Publish(TopicRequests, captured...)
	}
	if len(control) > 0 {
		_ = l.opts.Publisher.Publish(TopicControl, control...)
	}
}
