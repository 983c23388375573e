package events

import (
	jsonv2 "github.com/go-json-experiment/json"
)

// Type names an event. Types are never renamed; a new shape of the same fact
// is a new schema version of the same type.
type Type string

// The catalogue. docs/events.md describes each one.
const (
	AccountCreated           Type = "account.created"
	AccountPlanChanged       Type = "account.plan_changed"
	KeyCreated               Type = "key.created"
	KeyRevoked               Type = "key.revoked"
	ReservationCreated       Type = "reservation.created"
	ReservationReleased      Type = "reservation.released"
	DomainAdded              Type = "domain.added"
	DomainVerified           Type = "domain.verified"
	DomainVerificationFailed Type = "domain.verification_failed"
	DomainRemoved            Type = "domain.removed"
	TunnelOpened             Type = "tunnel.opened"
	TunnelClosed             Type = "tunnel.closed"
	RequestCaptured          Type = "request.captured"
	BodiesPruned             Type = "bodies.pruned"
)

// registry is the one place an event type is declared: its name and, per
// schema version (index 0 is version 1), the decoder that reads that
// version's stored JSON as the type's current payload. The last version is
// the one new events are written with. Adding a type is one entry here (and
// its golden file); a new version is one more decoder, never a changed one.
// A table, read only.
var registry = [...]entry{
	{AccountCreated, []decoder{as[AccountCreatedV1]}},
	{AccountPlanChanged, []decoder{as[AccountPlanChangedV1]}},
	{KeyCreated, []decoder{upgraded((*KeyCreatedV1).upgrade), as[KeyCreatedV2]}}, // payloads_key.go
	{KeyRevoked, []decoder{as[KeyRevokedV1]}},
	{ReservationCreated, []decoder{upgraded((*ReservationV1).upgrade), as[ReservationV2]}},
	{ReservationReleased, []decoder{upgraded((*ReservationV1).upgrade), as[ReservationV2]}},
	{DomainAdded, []decoder{as[DomainAddedV1]}},
	{DomainVerified, []decoder{as[DomainV1]}},
	{DomainVerificationFailed, []decoder{as[DomainVerificationFailedV1]}},
	{DomainRemoved, []decoder{as[DomainV1]}},
	{TunnelOpened, []decoder{as[TunnelOpenedV1]}},
	{TunnelClosed, []decoder{as[TunnelClosedV1]}},
	{RequestCaptured, []decoder{upgraded((*RequestCapturedV1).upgrade), upgraded((*RequestCapturedV2).upgrade), as[RequestCapturedV3]}},
	{BodiesPruned, []decoder{as[BodiesPrunedV1]}},
	// payloads_signin.go: passwords and dashboard sessions
	{AccountPasswordSet, []decoder{as[AccountPasswordSetV1]}},
	{AccountPasswordLinkCreated, []decoder{as[AccountPasswordLinkCreatedV1]}},
	{SessionCreated, []decoder{as[SessionCreatedV1]}},
	{SessionRevoked, []decoder{as[SessionRevokedV1]}},
	{SigninFailed, []decoder{as[SigninFailedV1]}},
	// payloads_webhook.go: webhook verifiers (their secrets are sealed elsewhere)
	{WebhookVerifierAdded, []decoder{as[WebhookVerifierAddedV1]}},
	{WebhookVerifierRemoved, []decoder{as[WebhookVerifierRemovedV1]}},
	// payloads_billing.go: how usage is measured
	{BillingRuleChanged, []decoder{as[BillingRuleChangedV1]}},
	// payloads_access.go: who may reach a tunnel
	{ReservationAccessSet, []decoder{as[ReservationAccessSetV1]}},
	{TunnelAccessSet, []decoder{as[TunnelAccessSetV1]}},
}

type entry struct {
	typ      Type
	versions []decoder
}

// decoder reads one schema version's stored JSON as a pointer to the
// current payload type.
type decoder func(data []byte, opts ...jsonv2.Options) (any, error)

// as decodes JSON that is already the current payload T. JSON v2 decodes
// these payloads about twice as fast as encoding/json, which is most of what
// rebuild spends; like v1 it ignores members it does not know.
func as[T any](data []byte, opts ...jsonv2.Options) (any, error) {
	p := new(T)
	if err := jsonv2.Unmarshal(data, p, opts...); err != nil {
		return nil, err
	}
	return p, nil
}

// upgraded decodes an old version's JSON and brings it to the current one.
func upgraded[Old, New any](up func(*Old) *New) decoder {
	return func(data []byte, opts ...jsonv2.Options) (any, error) {
		p := new(Old)
		if err := jsonv2.Unmarshal(data, p, opts...); err != nil {
			return nil, err
		}
		return up(p), nil
	}
}

// Types lists the catalogue in a stable order.
func Types() []Type {
	out := make([]Type, len(registry))
	for i, e := range registry {
		out[i] = e.typ
	}
	return out
}

func lookup(t Type) (*entry, bool) {
	for i := range registry {
		if registry[i].typ == t {
			return &registry[i], true
		}
	}
	return nil, false
}

// CurrentVersion is the schema version new events of type t are written
// with (0 for a type not in the catalogue).
func CurrentVersion(t Type) int {
	if e, ok := lookup(t); ok {
		return len(e.versions)
	}
	return 0
}
