package projections

import (
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// reservationRecord is a reservation plus the id of the event that made it,
// which orders the account's list.
type reservationRecord struct {
	domain.Reservation
	Seq ulid.ULID `json:"seq"`
}

func applyReservationCreated(tx *bolt.Tx, ev *events.Event, d *events.ReservationData) error {
	r := reservationRecord{Reservation: domain.Reservation{Subdomain: d.Subdomain, AccountID: ev.Account, CreatedAt: ev.At}, Seq: ev.ID}
	if err := putJSON(tx.Bucket(bReservations), []byte(d.Subdomain), r); err != nil {
		return err
	}
	if err := startHolding(tx, ev.Account, holdReservation, ev.ID, d.Subdomain, ev.At); err != nil {
		return err
	}
	return tx.Bucket(bReservByAccount).Put(key([]byte(ev.Account), ev.ID[:]), []byte(d.Subdomain))
}

func applyReservationReleased(tx *bolt.Tx, ev *events.Event, d *events.ReservationData) error {
	r, ok, err := reservation(tx, d.Subdomain)
	if err != nil || !ok {
		return err
	}
	if err := tx.Bucket(bReservations).Delete([]byte(d.Subdomain)); err != nil {
		return err
	}
	if err := dropReservationAccess(tx, d.Subdomain); err != nil { // access.go
		return err
	}
	if err := endHolding(tx, r.AccountID, holdReservation, r.Seq, ev.At); err != nil {
		return err
	}
	return tx.Bucket(bReservByAccount).Delete(key([]byte(r.AccountID), r.Seq[:]))
}

func reservation(tx *bolt.Tx, sub string) (reservationRecord, bool, error) {
	var r reservationRecord
	ok, err := getJSON(tx.Bucket(bReservations), []byte(sub), &r)
	return r, ok, err
}

// Reservation returns who holds sub, with ok=false when nobody does.
func Reservation(tx *bolt.Tx, sub string) (domain.Reservation, bool, error) {
	r, ok, err := reservation(tx, sub)
	return r.Reservation, ok, err
}

// Reservations lists an account's reservations newest first, before the
// reservation whose subdomain is before ("": from the newest). An unknown
// cursor is CodeInvalid.
func Reservations(tx *bolt.Tx, accountID, before string, limit int) ([]domain.Reservation, error) {
	var cursor ulid.ULID
	if before != "" {
		r, ok, err := reservation(tx, before)
		if err != nil {
			return nil, err
		}
		cursor = r.Seq
		if !ok || r.AccountID != accountID {
			// Released since the page was read (and maybe taken by
			// another account): its place is kept by the holdings.
			seq, held, err := heldName(tx, accountID, holdReservation, before)
			if err != nil {
				return nil, err
			}
			if !held {
				return nil, domain.Errorf(domain.CodeInvalid, "before_id %q is not a known reservation", before)
			}
			cursor = seq
		}
	}
	var out []domain.Reservation
	err := listNewest(tx.Bucket(bReservByAccount), []byte(accountID), cursor, limit, func(_, sub []byte) error {
		r, _, err := Reservation(tx, string(sub))
		out = append(out, r)
		return err
	})
	return out, err
}

// Reserve reserves sub for the account: CodeInvalid for a bad name,
// CodeConflict when anyone holds it, CodeQuota past the plan's limit.
func Reserve(accountID, sub string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		_, plan, err := AccountPlan(tx.Tx, accountID)
		if err != nil {
			return nil, err
		}
		r, _, err := Reservation(tx.Tx, sub)
		if err != nil {
			return nil, err
		}
		used := countPrefix(tx.Bucket(bReservByAccount), []byte(accountID))
		if err := domain.CheckReserve(plan, sub, r.AccountID, accountID, used); err != nil {
			return nil, err
		}
		// A live tunnel of another account on this name keeps it until it closes.
		if t, ok, err := LiveTunnelByHost(tx.Tx, sub); err != nil {
			return nil, err
		} else if ok && t.AccountID != accountID {
			return nil, domain.Errorf(domain.CodeConflict, "subdomain %q is in use by another account", sub)
		}
		return []events.Draft{{Type: events.ReservationCreated, Account: accountID, Data: events.ReservationData{Subdomain: sub}}}, nil
	}
}

// Release frees one of the account's reservations (CodeNotFound otherwise,
// also when another account holds it: that must not leak).
func Release(accountID, sub string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		r, ok, err := Reservation(tx.Tx, sub)
		if err != nil {
			return nil, err
		}
		if !ok || r.AccountID != accountID {
			return nil, notFound("reservation", sub)
		}
		return []events.Draft{{Type: events.ReservationReleased, Account: accountID, Data: events.ReservationData{Subdomain: sub}}}, nil
	}
}
