package projections

import (
	"context"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// prunedMark is how far an account's bodies were pruned: every request with
// an id up to UpTo has had its bodies removed.
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
// pruned by retention, and when.
func BodiesPrunedAt(tx *bolt.Tx, accountID string, id ulid.ULID) (time.Time, bool, error) {
	var m prunedMark
	ok, err := getJSON(tx.Bucket(bPruned), []byte(accountID), &m)
	if err != nil || !ok || id.Compare(m.UpTo) > 0 {
		return time.Time{}, false, err
	}
	return m.At, true, nil
}

// PruneBodies removes the stored bodies of up to limit of the account's
// requests captured before cutoff, oldest first, and records one
// bodies.pruned event in the same transaction. Events are never touched: they
// keep the bodies' hashes, so the chain still verifies. It appends nothing
// when nothing is due. (The one command that writes: bodies are no
// projection, and their removal must commit with its record.)
func PruneBodies(accountID string, cutoff time.Time, limit int) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
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
			if err != nil {
				return nil, err
			}
			if count == 0 {
				first = id
			}
			last, count, freed = id, count+1, freed+n
		}
		if count == 0 {
			return nil, nil
		}
		return []events.Draft{{Type: events.BodiesPruned, Account: accountID, Data: events.BodiesPrunedData{
			From: first.String(), To: last.String(), Count: count, Bytes: freed}}}, nil
	}
}

type zeroEntropy struct{}

func (zeroEntropy) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// SweepBodies prunes, for every account, the bodies older than its plan's
// retention days at now — or than maxDays, the operator's window
// (serve --retain-events), when that is shorter; 0 means none — in
// transactions of at most batch requests. Events are never deleted or
// rewritten. It returns the requests pruned.
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
	for _, w := range work {
		for ctx.Err() == nil {
			evs, err := l.Execute(ctx, PruneBodies(w.account, w.cutoff, batch))
			if err != nil {
				return total, err
			}
			if len(evs) == 0 {
				break
			}
			var d events.BodiesPrunedData
			if err := evs[0].DecodeData(&d); err != nil {
				return total, err
			}
			total += d.Count
		}
	}
	return total, ctx.Err()
}
