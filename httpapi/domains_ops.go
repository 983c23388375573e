package httpapi

import (
	"context"
	"io"
	"net"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

// txtRecordJSON is the DNS record to publish to prove control of a domain.
type txtRecordJSON struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// domainJSON is a custom domain as the API shows it.
type domainJSON struct {
	ID         string        `json:"id"`
	Name       string        `json:"name"`
	State      string        `json:"state"`
	TXTRecord  txtRecordJSON `json:"txtRecord"`
	LastError  *string       `json:"lastError"`
	CreatedAt  time.Time     `json:"createdAt"`
	CheckedAt  *time.Time    `json:"checkedAt"`
	VerifiedAt *time.Time    `json:"verifiedAt"`
}

func toDomainJSON(d domain.CustomDomain) domainJSON {
	j := domainJSON{
		ID: d.ID, Name: d.Name, State: d.State,
		TXTRecord: txtRecordJSON{Name: d.ChallengeName(), Type: "TXT", Value: d.Token},
		CreatedAt: d.CreatedAt.UTC(), CheckedAt: utcPtr(d.CheckedAt), VerifiedAt: utcPtr(d.VerifiedAt),
	}
	if d.LastError != "" {
		msg := d.LastError
		j.LastError = &msg
	}
	return j
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// normalizeDomainName lowercases a hostname and drops a trailing dot, so
// "App.Example.com." and "app.example.com" are one name.
func normalizeDomainName(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// listDomains returns a page of the account's domains, newest first.
func listDomains(db *bolt.DB, accountID, before string, limit int) ([]domainJSON, error) {
	ds, err := projections.View(db, func(tx *bolt.Tx) ([]domain.CustomDomain, error) {
		return projections.Domains(tx, accountID, before, limit)
	})
	out := make([]domainJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, toDomainJSON(d))
	}
	return out, err
}

// ownDomain returns one of the account's domains; another account's answers
// CodeNotFound exactly like a missing one.
func ownDomain(db *bolt.DB, accountID, id string) (domain.CustomDomain, error) {
	d, err := projections.View(db, func(tx *bolt.Tx) (domain.CustomDomain, error) {
		return projections.Domain(tx, id)
	})
	if err != nil || d.AccountID != accountID {
		return domain.CustomDomain{}, domain.Errorf(domain.CodeNotFound, "domain %q not found", id)
	}
	return d, nil
}

// domainRef turns a route's reference into the id of one of the account's
// domains: an id as is, or a hostname (as `tunnels close` takes a name).
// Another account's name is not found, as its id would be.
func domainRef(db *bolt.DB, accountID, ref string) (string, error) {
	if strings.HasPrefix(ref, "dom_") {
		return ref, nil
	}
	all, err := projections.View(db, func(tx *bolt.Tx) ([]domain.CustomDomain, error) {
		return projections.DomainsByName(tx, strings.ToLower(strings.TrimSuffix(ref, ".")))
	})
	id := ""
	for _, cd := range all {
		if cd.AccountID == accountID {
			id = cd.ID
		}
	}
	if err == nil && id == "" {
		err = domain.Errorf(domain.CodeNotFound, "domain %q not found", ref)
	}
	return id, err
}

// addDomain adds a domain pending its TXT check, with a token from rnd:
// CodeInvalid for a bad name or one under the base domain, CodeConflict when
// the account has it or another account verified it, CodeQuota over the plan.
func addDomain(ctx context.Context, l *events.Log, rnd io.Reader, accountID, name, baseDomain string) (domainJSON, error) {
	token, err := domain.NewDomainToken(rnd)
	if err != nil {
		return domainJSON{}, err
	}
	evs, err := l.Execute(ctx, projections.AddDomain(accountID, normalizeDomainName(name), token, baseDomain))
	if err != nil {
		return domainJSON{}, err
	}
	d, err := ownDomain(l.DB(), accountID, projections.DomainIDFromEvents(evs))
	return toDomainJSON(d), err
}

// verifyDomain looks the TXT record up through r, records the outcome
// (domain.verified or domain.verification_failed with the reason) and
// returns the domain as it now is. CodeNotFound for another account's id,
// CodeConflict when another account verified the name first.
func verifyDomain(ctx context.Context, l *events.Log, r *net.Resolver, accountID, id string) (domainJSON, error) {
	d, err := ownDomain(l.DB(), accountID, id)
	if err != nil {
		return domainJSON{}, err
	}
	ok, reason, err := checkTXT(ctx, r, d)
	if err != nil {
		return domainJSON{}, err
	}
	if _, err := l.Execute(ctx, projections.RecordDomainCheck(accountID, id, ok, reason)); err != nil {
		return domainJSON{}, err
	}
	d, err = ownDomain(l.DB(), accountID, id)
	return toDomainJSON(d), err
}

// removeDomain removes one of the account's domains (CodeNotFound otherwise).
func removeDomain(ctx context.Context, l *events.Log, accountID, id string) error {
	_, err := l.Execute(ctx, projections.RemoveDomain(accountID, id))
	return err
}
