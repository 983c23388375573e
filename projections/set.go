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
type Set struct {
	dec *events.Decoder
}

// New returns the inline projections.
func New() *Set { return &Set{dec: newDecoder()} }

// newDecoder is the decode of the live path and of rebuild: the index
// keeps no headers, so none are built.
func newDecoder() *events.Decoder {
	return events.NewDecoder(events.DecodeOptions{SkipHeaders: true})
}

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
		if payloads[i], err = decodePayload(s.dec, &evs[i]); err != nil {
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

// decodePayload decodes an event's data with the log's one decode, which
// reads every stored version, and turns a captured request into the summary
// the index stores (nil for types they ignore). It reads no state, so
// rebuild runs it apart from the write transaction.
func decodePayload(dec *events.Decoder, ev *events.Event) (any, error) {
	p, err := dec.Decode(ev)
	if err != nil {
		return nil, err
	}
	if r, ok := p.(*events.RequestCapturedData); ok {
		s := newRequestSummary(ev, r)
		s.heads, err = events.EventHeads(ev, r) // billing.go: wire bytes
		return s, err
	}
	return p, nil
}

// applyDecoded is the one switch through which every state change goes, live
// and in rebuild. p is what decodePayload gave for ev (nil: a type from a
// newer binary, skipped).
func applyDecoded(tx *bolt.Tx, ev *events.Event, p any, u usageBatch) error {
	if p == nil {
		return nil
	}
	switch ev.Type {
	case events.AccountCreated:
		return applyAccountCreated(tx, ev, p.(*events.AccountCreatedData))
	case events.AccountPlanChanged:
		return applyPlanChanged(tx, ev, p.(*events.AccountPlanChangedData))
	case events.KeyCreated:
		return applyKeyCreated(tx, ev, p.(*events.KeyCreatedData))
	case events.KeyRevoked:
		return applyKeyRevoked(tx, ev, p.(*events.KeyRevokedData))
	case events.ReservationCreated:
		return applyReservationCreated(tx, ev, p.(*events.ReservationData))
	case events.ReservationReleased:
		return applyReservationReleased(tx, ev, p.(*events.ReservationData))
	case events.DomainAdded:
		return applyDomainAdded(tx, ev, p.(*events.DomainAddedData))
	case events.DomainVerified:
		return applyDomainChecked(tx, ev, &events.DomainVerificationFailedData{DomainID: p.(*events.DomainData).DomainID})
	case events.DomainVerificationFailed:
		return applyDomainChecked(tx, ev, p.(*events.DomainVerificationFailedData))
	case events.DomainRemoved:
		return applyDomainRemoved(tx, ev, p.(*events.DomainData))
	case events.TunnelOpened:
		return applyTunnelOpened(tx, ev, p.(*events.TunnelOpenedData))
	case events.TunnelClosed:
		return applyTunnelClosed(tx, ev, p.(*events.TunnelClosedData))
	case events.RequestCaptured:
		return applyRequestCaptured(tx, ev, p.(*requestSummary), u)
	case events.BodiesPruned:
		return applyBodiesPruned(tx, ev, p.(*events.BodiesPrunedData))
	case events.AccountPasswordSet:
		return applyPasswordSet(tx, ev, p.(*events.AccountPasswordSetData))
	case events.AccountPasswordLinkCreated:
		return applyPasswordLinkCreated(tx, ev, p.(*events.AccountPasswordLinkCreatedData))
	case events.SessionCreated:
		return applySessionCreated(tx, ev, p.(*events.SessionCreatedData))
	case events.SessionRevoked:
		return applySessionRevoked(tx, ev, p.(*events.SessionRevokedData))
	case events.WebhookVerifierAdded: // webhooks.go
		return applyWebhookAdded(tx, ev, p.(*events.WebhookVerifierAddedData))
	case events.WebhookVerifierRemoved:
		return applyWebhookRemoved(tx, p.(*events.WebhookVerifierRemovedData))
	case events.BillingRuleChanged:
		return applyBillingRuleChanged(tx, ev, p.(*events.BillingRuleChangedData))
	case events.ReservationAccessSet: // access.go
		return applyReservationAccessSet(tx, ev, p.(*events.ReservationAccessSetData))
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
