package projections

import (
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// bReservationAccess holds each reservation's access rules (sub →
// domain.AccessRules JSON); a reservation without rules has no entry.
var bReservationAccess = []byte("p_reservation_access")

func applyReservationAccessSet(tx *bolt.Tx, _ *events.Event, d *events.ReservationAccessSetData) error {
	r := accessFromEvent(d)
	if r.Empty() {
		return tx.Bucket(bReservationAccess).Delete([]byte(d.Subdomain))
	}
	return putJSON(tx.Bucket(bReservationAccess), []byte(d.Subdomain), r)
}

// dropReservationAccess forgets a released reservation's rules: the next
// holder of the name starts with none.
func dropReservationAccess(tx *bolt.Tx, sub string) error {
	return tx.Bucket(bReservationAccess).Delete([]byte(sub))
}

func accessFromEvent(d *events.ReservationAccessSetData) domain.AccessRules {
	r := domain.AccessRules{AllowCIDR: d.AllowCIDR, DenyCIDR: d.DenyCIDR}
	for _, c := range d.BasicAuth {
		r.BasicAuth = append(r.BasicAuth, domain.AccessCredential{User: c.User, Hash: c.Hash})
	}
	if o := d.OIDC; o != nil {
		r.OIDC = &domain.AccessOIDC{Issuer: o.Issuer, ClientID: o.ClientID, SecretID: o.SecretID,
			SecretFingerprint: o.SecretFingerprint, AllowEmail: o.AllowEmail}
	}
	return r
}

// ReservationAccess returns the access rules of the reservation of sub
// (zero when it has none, or there is no such reservation).
func ReservationAccess(tx *bolt.Tx, sub string) (domain.AccessRules, error) {
	var r domain.AccessRules
	_, err := getJSON(tx.Bucket(bReservationAccess), []byte(sub), &r)
	return r, err
}

// SetReservationAccess replaces the rules of one of the account's
// reservations (CodeNotFound when it holds no such reservation, also when
// another account does; CodeInvalid past domain.MaxAccessRules). The
// caller has parsed the prefixes and hashed the passwords: this records
// them as given.
func SetReservationAccess(accountID, sub string, rules domain.AccessRules) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		if err := rules.CheckSize(); err != nil {
			return nil, err
		}
		r, ok, err := Reservation(tx.Tx, sub)
		if err != nil {
			return nil, err
		}
		if !ok || r.AccountID != accountID {
			return nil, notFound("reservation", sub)
		}
		d := events.ReservationAccessSetData{Subdomain: sub, AllowCIDR: rules.AllowCIDR, DenyCIDR: rules.DenyCIDR}
		for _, c := range rules.BasicAuth {
			d.BasicAuth = append(d.BasicAuth, events.AccessCredentialV1{User: c.User, Hash: c.Hash})
		}
		if o := rules.OIDC; o != nil {
			d.OIDC = &events.ReservationOIDCV1{Issuer: o.Issuer, ClientID: o.ClientID, SecretID: o.SecretID,
				SecretFingerprint: o.SecretFingerprint, AllowEmail: o.AllowEmail}
		}
		return []events.Draft{{Type: events.ReservationAccessSet, Account: accountID, Data: d}}, nil
	}
}
