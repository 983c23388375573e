package projections

import (
	"context"
	"errors"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// prunedMark is how far an account's bodies were pruned: every request with
// an id up to UpTo has had its bodies removed (the last one of a prune that
// failed part way perhaps only some of them).
type prunedMark struct {
	UpTo ulid.ULID `json:"upTo"`
	At   time.Time `json:"at"`
}

func applyBodiesPruned(tx *bolt.Tx, ev *events.Event, d *events.BodiesPrunedData) error {
	to, err := ulid.ParseStrict(d.To)
	if err != nil {
		return nil // a prune record of an older shape; nothing to index
	}
	return putJSON(tx.Bucket(bPruned), []byte(ev.Account), prunedMark{UpTo: to, At: ev.At})
}

// BodiesPrunedAt tells whether the bodies of the account's request id were
// pruned by retention, and the time of the account's latest prune: one
// mark per account holds one time, so an id pruned by an earlier sweep
// reports the later one.
func BodiesPrunedAt(tx *bolt.Tx, accountID string, id ulid.ULID) (time.Time, bool, error) {
	var m prunedMark
	ok, err := getJSON(tx.Bucket(bPruned), []byte(accountID), &m)
	if err != nil || !ok || id.Compare(m.UpTo) > 0 {
		return time.Time{}, false, err
	}
	return m.At, true, nil
}

// PruneBodies removes the stored bodies of up to limit of the account's
// requests captured before cutoff, oldest first, after those an earlier
// prune reached, and records one bodies.pruned event in the same
// transaction. Events are never touched: they keep the bodies' hashes, so
// the chain still verifies. It appends nothing when nothing is due.
//
// Every removal is recorded. When a removal fails part way, the command
// still succeeds with the event for what it removed (a request of which
// only some parts went counts as pruned), and the failure goes to *failed
// (when failed is not nil) once the command has run: a command's error
// would fail it alone while its removals committed with the rest of the
// batch, unrecorded.
func PruneBodies(accountID string, cutoff time.Time, limit int, failed *error) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		if failed != nil {
			*failed = nil // the writer may run a command again, alone
		}
		var from ulid.ULID
		var mark prunedMark
		if ok, err := getJSON(tx.Bucket(bPruned), []byte(accountID), &mark); err != nil {
			return nil, err
		} else if ok {
			from = mark.UpTo
		}
		end, err := ulid.New(ulid.Timestamp(cutoff), zeroEntropy{})
		if err != nil {
			return nil, err
		}
		prefix := key([]byte(accountID), nil)
		c := tx.Bucket(bRequests).Cursor()
		var first, last ulid.ULID
		var count int
		var freed int64
		for k, _ := c.Seek(append(append([]byte(nil), prefix...), from[:]...)); k != nil && len(k) == len(prefix)+16 &&
			string(k[:len(prefix)]) == string(prefix) && count < limit; k, _ = c.Next() {
			var id ulid.ULID
			copy(id[:], k[len(prefix):])
			if id.Compare(from) <= 0 {
				continue
			}
			if id.Compare(end) >= 0 {
				break
			}
			n, err := events.DeleteBodies(tx.Tx, id)
			if n > 0 || err == nil {
				if count == 0 {
					first = id
				}
				last, count, freed = id, count+1, freed+n
			}
			if err != nil {
				if failed != nil {
					*failed = &domain.Error{Code: domain.CodeInternal, Message: "pruning the bodies of " + domain.RequestIDPrefix + id.String(), Err: err}
				}
				break
			}
		}
		if count == 0 {
			return nil, nil
		}
		return []events.Draft{{Type: events.BodiesPruned, Account: accountID, Data: events.BodiesPrunedData{
			From: first.String(), To: last.String(), Count: count, Bytes: freed}}}, nil
	}
}

// zeroEntropy makes the smallest ULID of a millisecond: the cutoff's bound.
type zeroEntropy struct{}

func (zeroEntropy) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// SweepBodies prunes, for every account, the bodies older than its plan's
// retention days at now — or than maxDays, the operator's window
// (serve --retain-events), when that is shorter; 0 means none — in
// transactions of at most batch requests. Events are never deleted or
// rewritten. It returns the requests pruned, and the failures of accounts
// whose prune stopped part way (what each removed is recorded, and the
// sweep goes on with the next account).
func SweepBodies(ctx context.Context, l *events.Log, now time.Time, batch, maxDays int) (int, error) {
	type due struct {
		account string
		cutoff  time.Time
	}
	var work []due
	if err := l.DB().View(func(tx *bolt.Tx) error {
		return tx.Bucket(bAccounts).ForEach(func(k, v []byte) error {
			var a domain.Account
			if err := jsonUnmarshal(v, &a); err != nil {
				return err
			}
			days := maxDays
			if p, err := domain.PlanByName(a.Plan); err == nil && p.Limits.RetentionDays > 0 && (days <= 0 || p.Limits.RetentionDays < days) {
				days = p.Limits.RetentionDays
			}
			if days <= 0 {
				return nil
			}
			work = append(work, due{a.ID, now.AddDate(0, 0, -days)})
			return nil
		})
	}); err != nil {
		return 0, err
	}
	total := 0
	var failures []error
	for _, w := range work {
		for ctx.Err() == nil {
			var failed error
			evs, err := l.Execute(ctx, PruneBodies(w.account, w.cutoff, batch, &failed))
			if err != nil {
				return total, err
			}
			if len(evs) > 0 {
				var d events.BodiesPrunedData
				if err := evs[0].DecodeData(&d); err != nil {
					return total, err
				}
				total += d.Count
			}
			if failed != nil {
				// What was removed is recorded; this account's rest waits
				// for the next sweep, the other accounts do not.
				failures = append(failures, failed)
				break
			}
			if len(evs) == 0 {
				break
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return total, err
	}
	return total, errors.Join(failures...)
}
