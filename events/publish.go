package events

import (
	"encoding/binary"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
)

// Topics committed events are published on (by a Relay).
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

// outbox is one read of the log turned into messages, per topic, each topic
// in log order.
type outbox struct {
	all, requests, control []*message.Message
	last                   ulid.ULID // the last event read
	read                   int       // how many events were read
}

// stored is one event as read for publishing: its raw bytes are valid only
// inside the read transaction.
type stored struct {
	id       ulid.ULID
	typ      Type
	account  string
	raw      []byte
	coalesce bool // a captured request superseded by a later one of its account
}

// readOutbox reads up to limit events after pos inside tx and builds their
// messages. GoChannel drops messages nobody subscribes to and may reorder:
// subscribers read the log for truth and order, and use messages as
// wake-ups. So captured requests, hundreds per commit under load, are
// published as one message per account and read (its last captured event
// there): every subscriber of requests filters by account and reads the log
// past its cursor, and a message per event cost more than the rest of the
// publishing together. Every other event is published alone.
func readOutbox(tx *bolt.Tx, pos ulid.ULID, limit int) (outbox, error) {
	var out outbox
	c := tx.Bucket(bucketEvents).Cursor()
	k, v := c.Seek(pos[:])
	if k != nil && string(k) == string(pos[:]) {
		k, v = c.Next()
	}
	var evs []stored
	var lastCaptured map[string]int // account → index in evs
	for ; k != nil && len(evs) < limit; k, v = c.Next() {
		typ, acc, err := peekHeader(v)
		if err != nil {
			return out, fmt.Errorf("event %x: %w", k, err)
		}
		s := stored{id: ulid.ULID(k), typ: Type(typ), raw: v}
		if s.typ == RequestCaptured {
			if lastCaptured == nil {
				lastCaptured = map[string]int{}
			}
			if i, ok := lastCaptured[string(acc)]; ok {
				evs[i].coalesce = true
				s.account = evs[i].account
			} else {
				s.account = string(acc)
			}
			lastCaptured[s.account] = len(evs)
		} else {
			s.account = string(acc)
		}
		evs = append(evs, s)
	}
	out.read = len(evs)
	if len(evs) > 0 {
		out.last = evs[len(evs)-1].id
	}
	for i := range evs {
		s := &evs[i]
		if s.coalesce {
			continue
		}
		// Copied out: bbolt's bytes live only as long as the transaction.
		m := message.NewMessage(s.id.String(), append([]byte(nil), s.raw...))
		m.Metadata.Set(MetaType, string(s.typ))
		m.Metadata.Set(MetaAccount, s.account)
		out.all = append(out.all, m)
		if s.typ == RequestCaptured {
			out.requests = append(out.requests, m.Copy())
		} else {
			out.control = append(out.control, m.Copy())
		}
	}
	return out, nil
}

// publish sends the messages, topic by topic. On an error some topics may
// have been sent: the caller sends the whole outbox again (at least once).
func (o *outbox) publish(pub message.Publisher) error {
	for _, t := range []struct {
		topic string
		msgs  []*message.Message
	}{{TopicEvents, o.all}, {TopicRequests, o.requests}, {TopicControl, o.control}} {
		if len(t.msgs) == 0 {
			continue
		}
		if err := pub.Publish(t.topic, t.msgs...); err != nil {
			return fmt.Errorf("publishing %d messages on %s: %w", len(t.msgs), t.topic, err)
		}
	}
	return nil
}

// peekHeader returns the type and account of stored bytes without copying
// them (see the layout in event.go).
func peekHeader(b []byte) (typ, account []byte, err error) {
	if len(b) < minEncodedV1 || b[0] != formatV1 {
		return nil, nil, fmt.Errorf("events: stored event too short or of an unknown format")
	}
	p := headerFixed
	tl := int(b[p])
	p++
	if tl == 0 || len(b) < p+tl+2 {
		return nil, nil, fmt.Errorf("events: stored event: bad type length")
	}
	typ = b[p : p+tl]
	p += tl
	al := int(binary.BigEndian.Uint16(b[p : p+2]))
	p += 2
	if len(b) < p+al {
		return nil, nil, fmt.Errorf("events: stored event: bad account length")
	}
	return typ, b[p : p+al], nil
}
