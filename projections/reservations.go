package projections

import (
	"strings"

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

// reservationName is a reservation's key in p_reservations, its name in
// the holdings and its place in lists: the subdomain, or TCPHost(port) for
// a TCP port (no subdomain holds a colon).
func reservationName(d *events.ReservationData) string {
	if d.Port != 0 {
		return TCPHost(d.Port)
	}
	return d.Subdomain
}

// isPortName reports whether a reservation name is a TCP port's.
func isPortName(name string) bool { return strings.HasPrefix(name, "tcp:") }

func applyReservationCreated(tx *bolt.Tx, ev *events.Event, d *events.ReservationData) error {
	name := reservationName(d)
	r := reservationRecord{Reservation: domain.Reservation{Subdomain: d.Subdomain, Port: d.Port, AccountID: ev.Account, CreatedAt: ev.At}, Seq: ev.ID}
	if err := putJSON(tx.Bucket(bReservations), []byte(name), r); err != nil {
		return err
	}
	if err := startHolding(tx, ev.Account, holdReservation, ev.ID, name, ev.At); err != nil {
		return err
	}
	return addIndexed(tx, bReservByAccount, key([]byte(ev.Account), ev.ID[:]), []byte(name), ev.Account, reservationKind(name))
}

func applyReservationReleased(tx *bolt.Tx, ev *events.Event, d *events.ReservationData) error {
	name := reservationName(d)
	r, ok, err := reservation(tx, name)
	if err != nil || !ok {
		return err
	}
	if err := tx.Bucket(bReservations).Delete([]byte(name)); err != nil {
		return err
	}
	if err := dropReservationAccess(tx, d.Subdomain); err != nil { // access.go
		return err
	}
	if err := endHolding(tx, r.AccountID, holdReservation, r.Seq, ev.At); err != nil {
		return err
	}
	return dropIndexed(tx, bReservByAccount, key([]byte(r.AccountID), r.Seq[:]), r.AccountID, reservationKind(name))
}

func reservation(tx *bolt.Tx, sub string) (reservationRecord, bool, error) {
	var r reservationRecord
	ok, err := getJSON(tx.Bucket(bReservations), []byte(sub), &r)
	return r, ok, err
}

// Reservation returns who holds sub, with ok=false when nobody does.
func Reservation(tx *bolt.Tx, sub string) (domain.Reservation, bool, error) {
	if isPortName(sub) {
		return domain.Reservation{}, false, nil // not a subdomain
	}
	r, ok, err := reservation(tx, sub)
	return r.Reservation, ok, err
}

// PortReservation returns who holds a TCP port, with ok=false when nobody does.
func PortReservation(tx *bolt.Tx, port int) (domain.Reservation, bool, error) {
	r, ok, err := reservation(tx, TCPHost(port))
	return r.Reservation, ok, err
}

// countReservations returns how many subdomains and ports the account
// holds, from the counts the appliers keep (counts.go): reading them costs
// the same at any number of reservations.
func countReservations(tx *bolt.Tx, accountID string) (subs, ports int64) {
	return accountCount(tx, accountID, countReservedSubs), accountCount(tx, accountID, countReservedPorts)
}

// Reservations lists an account's reservations, subdomains and TCP ports,
// newest first, before the reservation named before (a subdomain, or
// "tcp:PORT"; "": from the newest). An unknown cursor is CodeInvalid.
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
	err := listNewest(tx.Bucket(bReservByAccount), []byte(accountID), cursor, limit, func(_, name []byte) error {
		r, _, err := reservation(tx, string(name))
		out = append(out, r.Reservation)
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
		used, _ := countReservations(tx.Tx, accountID)
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

// ReservePort reserves a TCP port of the server's range lo..hi for the
// account: CodeInvalid outside the range (CodeUnavailable without one),
// CodeConflict when anyone holds it, when another account's tunnel is live
// on it or holds it for its reconnecting agent, CodeQuota past the plan's
// reserved ports.
//
// Port 0 asks for any: the lowest port of the range that can be reserved
// (CodeUnavailable when none can).
func ReservePort(accountID string, port, lo, hi int) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		_, plan, err := AccountPlan(tx.Tx, accountID)
		if err != nil {
			return nil, err
		}
		_, used := countReservations(tx.Tx, accountID)
		check := func(p int) error {
			r, _, err := PortReservation(tx.Tx, p)
			if err != nil {
				return err
			}
			last, err := PortHeldBy(tx.Tx, p)
			if err != nil {
				return err
			}
			liveOwner := ""
			if last.ID != "" && (last.Live() || domain.Reconnecting(last, tx.Now())) {
				liveOwner = last.AccountID
			}
			return domain.CheckReservePort(plan, p, lo, hi, r.AccountID, liveOwner, accountID, used)
		}
		if port == 0 && lo != 0 {
			if !domain.Allows(plan.Limits.ReservedPorts, used) {
				return nil, check(lo) // the quota's error
			}
			// A live tunnel of the caller's own may be reserved by number,
			// not handed out as "any": the caller asked for a port it can
			// open a tunnel on.
			for p := lo; p <= hi && port == 0; p++ {
				if _, live, err := LiveTunnelByHost(tx.Tx, TCPHost(p)); err != nil {
					return nil, err
				} else if !live && check(p) == nil {
					port = p
				}
			}
			if port == 0 {
				return nil, domain.Errorf(domain.CodeUnavailable, "no TCP port of %d-%d can be reserved", lo, hi)
			}
		}
		if err := check(port); err != nil {
			return nil, err
		}
		return []events.Draft{{Type: events.ReservationCreated, Account: accountID, Data: events.ReservationData{Port: port}}}, nil
	}
}

// ReleasePort frees one of the account's reserved ports (CodeNotFound
// otherwise, also when another account holds it). A live tunnel on it
// stays; the port returns to the pool when that tunnel closes.
func ReleasePort(accountID string, port int) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		r, ok, err := PortReservation(tx.Tx, port)
		if err != nil {
			return nil, err
		}
		if !ok || r.AccountID != accountID {
			return nil, notFound("reservation", TCPHost(port))
		}
		return []events.Draft{{Type: events.ReservationReleased, Account: accountID, Data: events.ReservationData{Port: port}}}, nil
	}
}
