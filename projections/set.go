package projections

import (
	"fmt"

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
	for i := range evs {
		if err := apply(tx, &evs[i]); err != nil {
			return fmt.Errorf("projections: %s %s: %w", evs[i].Type, evs[i].ID, err)
		}
	}
	last := evs[len(evs)-1].ID
	return tx.Bucket(bCheckpoints).Put(checkpointInline, last[:])
}

// apply is the one switch through which every state change goes, live and in rebuild.
func apply(tx *bolt.Tx, ev *events.Event) error {
	switch ev.Type {
	case events.AccountCreated:
		return applyAccountCreated(tx, ev)
	case events.AccountPlanChanged:
		return applyPlanChanged(tx, ev)
	case events.KeyCreated:
		return applyKeyCreated(tx, ev)
	case events.KeyRevoked:
		return applyKeyRevoked(tx, ev)
	case events.ReservationCreated:
		return applyReservationCreated(tx, ev)
	case events.ReservationReleased:
		return applyReservationReleased(tx, ev)
	case events.DomainAdded:
		return applyDomainAdded(tx, ev)
	case events.DomainVerified, events.DomainVerificationFailed:
		return applyDomainChecked(tx, ev)
	case events.DomainRemoved:
		return applyDomainRemoved(tx, ev)
	case events.TunnelOpened:
		return applyTunnelOpened(tx, ev)
	case events.TunnelClosed:
		return applyTunnelClosed(tx, ev)
	case events.RequestCaptured:
		return applyRequestCaptured(tx, ev)
	case events.BodiesPruned:
		return nil // bodies are not part of any projection
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
