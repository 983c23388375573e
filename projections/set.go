package projections

import (
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"

	bolt "go.etcd.io/bbolt"

	"warren/events"
)

// checkpointInline names the checkpoint of the inline projections. They are
// applied together in the append transaction, so they share one.
var checkpointInline = []byte("inline")

// Set is the inline projections, as the log's Applier.
type Set struct{}

// New returns the inline projections.
func New() *Set { return &Set{} }

var _ events.Applier = (*Set)(nil)

// Init creates the projection buckets inside tx.
func (s *Set) Init(tx *bolt.Tx) error { return createBuckets(tx) }

// Apply applies evs in order inside tx and advances the checkpoint. Events of
// an unknown type are skipped (a newer binary wrote them); a payload that does
// not decode is an error, which aborts the transaction.
func (s *Set) Apply(tx *bolt.Tx, evs []events.Event) error {
	if len(evs) == 0 {
		return nil
	}
	if tx.Bucket(bCheckpoints) == nil {
		if err := createBuckets(tx); err != nil {
			return err
		}
	}
	payloads := make([]any, len(evs))
	for i := range evs {
		var err error
		if payloads[i], err = decodePayload(&evs[i]); err != nil {
			return fmt.Errorf("projections: %s %s: %w", evs[i].Type, evs[i].ID, err)
		}
	}
	return applyBatch(tx, evs, payloads)
}

// applyBatch applies decoded events in order, then the usage they add up to,
// then the checkpoint. Live appends and rebuild both go through it.
func applyBatch(tx *bolt.Tx, evs []events.Event, payloads []any) error {
	// These indexes grow at the end of each account's (or tunnel's) range:
	// pages split full instead of half empty (bbolt's default). Not stored;
	// set on every transaction.
	for _, name := range [][]byte{bRequests, bRequestsByTun, bKeysByAccount, bTunnelsByAcct, bDomainsByAcct, bTunnels, bEventsByAcct} {
		tx.Bucket(name).FillPercent = 0.95
	}
	u := newUsageBatch()
	for i := range evs {
		err := applyDecoded(tx, &evs[i], payloads[i], u)
		if err == nil {
			err = indexAccountEvent(tx, &evs[i])
		}
		if err != nil {
			return fmt.Errorf("projections: %s %s: %w", evs[i].Type, evs[i].ID, err)
		}
	}
	if err := u.flush(tx); err != nil {
		return err
	}
	last := evs[len(evs)-1].ID
	return tx.Bucket(bCheckpoints).Put(checkpointInline, last[:])
}

// decodePayload decodes the part of an event's data the projections use
// (nil for types they ignore). It reads no state, so rebuild runs it apart
// from the write transaction.
func decodePayload(ev *events.Event) (any, error) {
	var p any
	switch ev.Type {
	case events.AccountCreated:
		p = new(events.AccountCreatedData)
	case events.AccountPlanChanged:
		p = new(events.AccountPlanChangedData)
	case events.KeyCreated:
		p = new(events.KeyCreatedData)
	case events.KeyRevoked:
		p = new(events.KeyRevokedData)
	case events.ReservationCreated, events.ReservationReleased:
		p = new(events.ReservationData)
	case events.DomainAdded:
		p = new(events.DomainAddedData)
	case events.DomainVerified, events.DomainVerificationFailed:
		p = new(events.DomainVerificationFailedData) // a superset of DomainData
	case events.DomainRemoved:
		p = new(events.DomainData)
	case events.TunnelOpened:
		p = new(events.TunnelOpenedData)
	case events.TunnelClosed:
		p = new(events.TunnelClosedData)
	case events.RequestCaptured:
		// The hot path: a live capture carries its typed payload, so the
		// summary is taken from it rather than decoded from what was just
		// encoded.
		if s, ok := summaryFromValue(ev); ok {
			return s, s.prepare(ev)
		}
		p = new(requestSummary)
	case events.BodiesPruned:
		p = new(events.BodiesPrunedData)
	default:
		return nil, nil // a type from a newer binary
	}
	// json v2 decodes these payloads about twice as fast as encoding/json,
	// which is most of what rebuild spends.
	if err := jsonv2.Unmarshal(ev.Data, p); err != nil {
		return nil, fmt.Errorf("decoding %s v%d: %w", ev.Type, ev.Version, err)
	}
	if r, ok := p.(*requestSummary); ok {
		return p, r.prepare(ev)
	}
	return p, nil
}

// applyDecoded is the one switch through which every state change goes, live
// and in rebuild.
func applyDecoded(tx *bolt.Tx, ev *events.Event, p any, u usageBatch) error {
	switch d := p.(type) {
	case *events.AccountCreatedData:
		return applyAccountCreated(tx, ev, d)
	case *events.AccountPlanChangedData:
		return applyPlanChanged(tx, ev, d)
	case *events.KeyCreatedData:
		return applyKeyCreated(tx, ev, d)
	case *events.KeyRevokedData:
		return applyKeyRevoked(tx, ev, d)
	case *events.ReservationData:
		if ev.Type == events.ReservationCreated {
			return applyReservationCreated(tx, ev, d)
		}
		return applyReservationReleased(tx, ev, d)
	case *events.DomainAddedData:
		return applyDomainAdded(tx, ev, d)
	case *events.DomainVerificationFailedData:
		return applyDomainChecked(tx, ev, d)
	case *events.DomainData:
		return applyDomainRemoved(tx, ev, d)
	case *events.TunnelOpenedData:
		return applyTunnelOpened(tx, ev, d)
	case *events.TunnelClosedData:
		return applyTunnelClosed(tx, ev, d)
	case *requestSummary:
		return applyRequestCaptured(tx, ev, d, u)
	case *events.BodiesPrunedData:
		return applyBodiesPruned(tx, ev, d)
	}
	return nil
}

// Checkpoint returns the id of the last event applied to the inline projections.
func Checkpoint(tx *bolt.Tx) []byte {
	b := tx.Bucket(bCheckpoints)
	if b == nil {
		return nil
	}
	return append([]byte(nil), b.Get(checkpointInline)...)
}
