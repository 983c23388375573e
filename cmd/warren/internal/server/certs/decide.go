package certs

import (
	"context"
	"strings"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// Decider returns the on-demand decision: may name get a certificate at
// its first handshake? It reads the projections in db (the log's), so the
// answer follows the log: a verified custom domain whose account exists;
// and, when wildcard is false (no DNS provider, so no *.<base>), a direct
// subdomain of base that is reserved or has a live tunnel. Everything else
// is refused (CodeForbidden) before any ACME request is made.
func Decider(db *bolt.DB, base string, wildcard bool) func(ctx context.Context, name string) error {
	base = strings.ToLower(strings.TrimSuffix(base, "."))
	return func(_ context.Context, name string) error {
		name = strings.ToLower(strings.TrimSuffix(name, "."))
		ok, err := projections.View(db, func(tx *bolt.Tx) (bool, error) {
			if sub, found := strings.CutSuffix(name, "."+base); found {
				if wildcard {
					return false, nil // *.<base> covers them; deeper names are nobody's
				}
				return tunnelName(tx, sub)
			}
			return verifiedDomain(tx, name)
		})
		if err != nil {
			return err
		}
		if !ok {
			return domain.Errorf(domain.CodeForbidden, "no certificate for %q: not a verified domain or an open tunnel", name)
		}
		return nil
	}
}

// tunnelName: sub is one label with a reservation or a live tunnel.
func tunnelName(tx *bolt.Tx, sub string) (bool, error) {
	if domain.ValidateSubdomainSyntax(sub) != nil {
		return false, nil
	}
	if _, ok, err := projections.Reservation(tx, sub); err != nil || ok {
		return ok, err
	}
	_, live, err := projections.LiveTunnelByHost(tx, sub)
	return live, err
}

// verifiedDomain: name is verified by an account that still exists.
func verifiedDomain(tx *bolt.Tx, name string) (bool, error) {
	if domain.ValidateHostname(name) != nil {
		return false, nil
	}
	cd, ok, err := projections.VerifiedDomain(tx, name)
	if err != nil || !ok {
		return false, err
	}
	if _, err := projections.Account(tx, cd.AccountID); err != nil {
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
