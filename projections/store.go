package projections

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// Buckets. Every projection bucket starts with "p_" so Rebuild can find and
// drop them all; the log's own buckets never do.
var (
	bAccounts        = []byte("p_accounts")         // id → domain.Account
	bAccountsByEmail = []byte("p_accounts_email")   // email → id
	bKeys            = []byte("p_keys")             // id → domain.APIKey
	bKeysByHash      = []byte("p_keys_hash")        // hash → id
	bKeysByAccount   = []byte("p_keys_account")     // acc 0 ulid → id
	bReservations    = []byte("p_reservations")     // sub → reservation
	bReservByAccount = []byte("p_reservations_acc") // acc 0 ulid → sub
	bDomains         = []byte("p_domains")          // id → domain.CustomDomain
	bDomainsByName   = []byte("p_domains_name")     // name 0 id → ""
	bDomainsByAcct   = []byte("p_domains_account")  // acc 0 ulid → id
	bTunnels         = []byte("p_tunnels")          // id → domain.Tunnel
	bTunnelsByAcct   = []byte("p_tunnels_account")  // acc 0 ulid → id
	bTunnelsLive     = []byte("p_tunnels_live")     // host → id
	bTunnelsLiveAcct = []byte("p_tunnels_live_acc") // acc 0 ulid → id
	bTunnelsHeld     = []byte("p_tunnels_back")     // sub → id of its tunnel last closed agent_gone or shutdown; tcp:PORT → the port's last tunnel (was p_tunnels_held, agent_gone only: the new name makes an older data dir rebuild)
	bRequests        = []byte("p_requests")         // acc 0 ulid → summary
	bRequestsByTun   = []byte("p_requests_tunnel")  // acc 0 tunnel 0 ulid → ""
	bUsageMonth      = []byte("p_usage_month")      // acc 0 YYYY-MM → counters
	bUsageDay        = []byte("p_usage_day")        // acc 0 YYYY-MM-DD → counters
	bUsageTunnelDay  = []byte("p_usage_tunnel_day") // acc 0 tunnel 0 YYYY-MM-DD → counters
	bHoldings        = []byte("p_holdings")         // acc 0 kind 0 ulid → holding (statements)
	bPruned          = []byte("p_pruned")           // acc → bodies pruned up to (retention)
	bEventsByAcct    = []byte("p_events_account")   // acc 0 ulid → type (all but request.captured)
	bCheckpoints     = []byte("p_checkpoints")      // name → last applied ULID
	// Sign-in (passwords.go, sessions.go).
	bPasswords      = []byte("p_passwords")        // acc → PHC string
	bPasswordLinks  = []byte("p_password_links")   // token hash → link; "id" 0 link id → token hash
	bSessions       = []byte("p_sessions")         // cookie hash → domain.Session
	bSessionsByAcct = []byte("p_sessions_account") // acc 0 ulid → cookie hash
	// Billing rules (billing.go); new with head counts in the usage
	// rollups, so an older data dir rebuilds them.
	bBilling = []byte("p_billing") // rule → first month it applies (YYYY-MM)

	allBuckets = [][]byte{bAccounts, bAccountsByEmail, bKeys, bKeysByHash, bKeysByAccount,
		bReservations, bReservByAccount, bDomains, bDomainsByName, bDomainsByAcct,
		bTunnels, bTunnelsByAcct, bTunnelsLive, bTunnelsLiveAcct, bTunnelsHeld, bRequests, bRequestsByTun,
		bUsageMonth, bUsageDay, bUsageTunnelDay, bHoldings, bPruned, bEventsByAcct, bCheckpoints,
		bPasswords, bPasswordLinks, bSessions, bSessionsByAcct,
		bBilling, bCounts, bRequestPaths,
		bWebhooks,          // webhooks.go
		bReservationAccess, // access.go
	}
)

// Prefix marks projection buckets.
const Prefix = "p_"

// Init creates the projection buckets. It is safe to call on every start.
func Init(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error { return createBuckets(tx) })
}

func createBuckets(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("projections: creating %s: %w", name, err)
		}
	}
	return nil
}

// key joins parts with a 0 byte: account ids, names and dates never hold one.
func key(parts ...[]byte) []byte {
	return bytes.Join(parts, []byte{0})
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

// getJSON reads k into v; ok=false when missing. json.Unmarshal copies, so v
// does not alias bbolt's memory.
func getJSON(b *bolt.Bucket, k []byte, v any) (bool, error) {
	raw := b.Get(k)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("projections: %s/%q: %w", "bucket", k, err)
	}
	return true, nil
}

// idULID extracts the ULID from an id such as "acc_01H…" or "req_01H…".
func idULID(id string) (ulid.ULID, bool) {
	i := strings.IndexByte(id, '_')
	u, err := ulid.ParseStrict(id[i+1:])
	return u, err == nil
}

// ParseID parses a prefixed id ("key_01H…") of the wanted kind. A malformed
// id fails with CodeInvalid naming the parameter.
func ParseID(param, prefix, id string) (ulid.ULID, error) {
	if !strings.HasPrefix(id, prefix) {
		return ulid.ULID{}, domain.Errorf(domain.CodeInvalid, "%s %q is not a %s id", param, id, strings.TrimSuffix(prefix, "_"))
	}
	u, err := ulid.ParseStrict(id[len(prefix):])
	if err != nil {
		return ulid.ULID{}, domain.Errorf(domain.CodeInvalid, "%s %q is not a valid id", param, id)
	}
	return u, nil
}

// listNewest walks an index of "acc 0 ulid → value" keys newest first, below
// before (zero: from the newest), calling fn with each value until it returns
// false or limit values were passed.
func listNewest(b *bolt.Bucket, prefix []byte, before ulid.ULID, limit int, fn func(k, v []byte) error) error {
	c := b.Cursor()
	prefix = append(append([]byte(nil), prefix...), 0)
	var k, v []byte
	if before == (ulid.ULID{}) {
		// Seek past the prefix's range, then step back into it.
		end := append(append([]byte(nil), prefix[:len(prefix)-1]...), 1)
		k, v = c.Seek(end)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	} else {
		k, v = c.Seek(append(append([]byte(nil), prefix...), before[:]...))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for n := 0; k != nil && bytes.HasPrefix(k, prefix) && n < limit; k, v = c.Prev() {
		if err := fn(k, v); err != nil {
			return err
		}
		n++
	}
	return nil
}

func notFound(what, id string) error {
	return domain.Errorf(domain.CodeNotFound, "%s %q not found", what, id)
}
