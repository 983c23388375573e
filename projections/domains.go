package projections

import (
	"bytes"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

func applyDomainAdded(tx *bolt.Tx, ev *events.Event, d *events.DomainAddedData) error {
	cd := domain.CustomDomain{ID: d.DomainID, AccountID: ev.Account, Name: d.Name, Token: d.Token, State: domain.DomainPending, CreatedAt: ev.At}
	if err := putJSON(tx.Bucket(bDomains), []byte(cd.ID), cd); err != nil {
		return err
	}
	if err := tx.Bucket(bDomainsByName).Put(key([]byte(cd.Name), []byte(cd.ID)), []byte{}); err != nil {
		return err
	}
	u, _ := idULID(cd.ID)
	if err := startHolding(tx, ev.Account, holdDomain, u, cd.Name, ev.At); err != nil {
		return err
	}
	return addIndexed(tx, bDomainsByAcct, key([]byte(ev.Account), u[:]), []byte(cd.ID), ev.Account, countDomains)
}

func applyDomainChecked(tx *bolt.Tx, ev *events.Event, d *events.DomainVerificationFailedData) error {
	cd, err := Domain(tx, d.DomainID)
	if err != nil {
		return err
	}
	at := ev.At
	cd.CheckedAt = &at
	if ev.Type == events.DomainVerified {
		cd.State, cd.LastError, cd.VerifiedAt = domain.DomainVerified, "", &at
	} else if cd.State != domain.DomainVerified {
		// A failed re-check of a verified domain is recorded but keeps it routed.
		cd.State, cd.LastError = domain.DomainFailed, d.Reason
	} else {
		cd.LastError = d.Reason
	}
	return putJSON(tx.Bucket(bDomains), []byte(cd.ID), cd)
}

func applyDomainRemoved(tx *bolt.Tx, ev *events.Event, d *events.DomainData) error {
	cd, err := Domain(tx, d.DomainID)
	if err != nil {
		return err
	}
	u, _ := idULID(cd.ID)
	if err := endHolding(tx, cd.AccountID, holdDomain, u, ev.At); err != nil {
		return err
	}
	for _, del := range []struct {
		b []byte
		k []byte
	}{{bDomains, []byte(cd.ID)}, {bDomainsByName, key([]byte(cd.Name), []byte(cd.ID))}} {
		if err := tx.Bucket(del.b).Delete(del.k); err != nil {
			return err
		}
	}
	return dropIndexed(tx, bDomainsByAcct, key([]byte(cd.AccountID), u[:]), cd.AccountID, countDomains)
}

// Domain returns a custom domain by id (CodeNotFound).
func Domain(tx *bolt.Tx, id string) (domain.CustomDomain, error) {
	var cd domain.CustomDomain
	ok, err := getJSON(tx.Bucket(bDomains), []byte(id), &cd)
	if err == nil && !ok {
		err = notFound("domain", id)
	}
	return cd, err
}

// DomainsByName returns every account's entry for a hostname.
func DomainsByName(tx *bolt.Tx, name string) ([]domain.CustomDomain, error) {
	p := append([]byte(name), 0)
	var out []domain.CustomDomain
	c := tx.Bucket(bDomainsByName).Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		cd, err := Domain(tx, string(k[len(p):]))
		if err != nil {
			return nil, err
		}
		out = append(out, cd)
	}
	return out, nil
}

// VerifiedDomain returns the verified entry for a hostname, if any.
func VerifiedDomain(tx *bolt.Tx, name string) (domain.CustomDomain, bool, error) {
	all, err := DomainsByName(tx, name)
	for _, cd := range all {
		if cd.State == domain.DomainVerified {
			return cd, true, err
		}
	}
	return domain.CustomDomain{}, false, err
}

// Domains lists an account's custom domains newest first, before the domain id before.
func Domains(tx *bolt.Tx, accountID, before string, limit int) ([]domain.CustomDomain, error) {
	var b ulid.ULID
	if before != "" {
		var err error
		if b, err = ownedCursor(tx, bDomains, accountID, before, "dom_", func(v []byte) (string, error) {
			var cd domain.CustomDomain
			return cd.AccountID, jsonUnmarshal(v, &cd)
		}); err != nil {
			// Removed since the page was read: an id keeps its place.
			u, perr := ParseID("before_id", "dom_", before)
			if perr != nil || !heldID(tx, accountID, holdDomain, u) {
				return nil, err
			}
			b = u
		}
	}
	var out []domain.CustomDomain
	err := listNewest(tx.Bucket(bDomainsByAcct), []byte(accountID), b, limit, func(_, id []byte) error {
		cd, err := Domain(tx, string(id))
		out = append(out, cd)
		return err
	})
	return out, err
}

// AddDomain adds a custom domain awaiting its TXT check (see domain.CheckAddDomain).
func AddDomain(accountID, name, token, baseDomain string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		_, plan, err := AccountPlan(tx.Tx, accountID)
		if err != nil {
			return nil, err
		}
		owners, err := DomainsByName(tx.Tx, name)
		if err != nil {
			return nil, err
		}
		used := accountCount(tx.Tx, accountID, countDomains)
		if err := domain.CheckAddDomain(plan, accountID, name, baseDomain, owners, used); err != nil {
			return nil, err
		}
		return []events.Draft{{Type: events.DomainAdded, Account: accountID, Data: events.DomainAddedData{
			DomainID: "dom_" + tx.NewID().String(), Name: name, Token: token}}}, nil
	}
}

// DomainIDFromEvents returns the id of the domain AddDomain created.
func DomainIDFromEvents(evs []events.Event) string {
	for _, ev := range evs {
		var d events.DomainAddedData
		if ev.Type == events.DomainAdded && ev.DecodeData(&d) == nil {
			return d.DomainID
		}
	}
	return ""
}

// RecordDomainCheck records the outcome of a DNS check of one of the
// account's domains. A success fails with CodeConflict when another account
// verified the name meanwhile.
func RecordDomainCheck(accountID, domainID string, ok bool, reason string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		cd, err := Domain(tx.Tx, domainID)
		if err != nil || cd.AccountID != accountID {
			return nil, notFound("domain", domainID)
		}
		if !ok {
			return []events.Draft{{Type: events.DomainVerificationFailed, Account: accountID,
				Data: events.DomainVerificationFailedData{DomainID: domainID, Reason: reason}}}, nil
		}
		if v, found, err := VerifiedDomain(tx.Tx, cd.Name); err != nil {
			return nil, err
		} else if found && v.AccountID != accountID {
			return nil, domain.Errorf(domain.CodeConflict, "domain %q is verified by another account", cd.Name)
		}
		return []events.Draft{{Type: events.DomainVerified, Account: accountID, Data: events.DomainData{DomainID: domainID}}}, nil
	}
}

// RemoveDomain removes one of the account's domains (CodeNotFound otherwise).
func RemoveDomain(accountID, domainID string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		cd, err := Domain(tx.Tx, domainID)
		if err != nil || cd.AccountID != accountID {
			return nil, notFound("domain", domainID)
		}
		return []events.Draft{{Type: events.DomainRemoved, Account: accountID, Data: events.DomainData{DomainID: domainID}}}, nil
	}
}
