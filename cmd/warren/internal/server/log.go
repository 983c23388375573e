package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/cmd/warren/internal/command"
	"warren/domain"
	"warren/events"
	"warren/projections"
)

// LockTimeout bounds the wait for a data file held by a running server:
// offline tools must fail clearly, never hang.
const LockTimeout = 2 * time.Second

// DBPath is the log file inside a data directory.
func DBPath(data string) string { return filepath.Join(data, command.DBFileName) }

// OpenOptions tune how a command opens the log.
type OpenOptions struct {
	ReadOnly  bool // no writer, shared lock; the file must exist
	NoCatchUp bool // leave the projections as they are (rebuild drops them anyway)
	// CaughtUp, if set, hears how many events start-up applied to the
	// projections (0 normally; a rebuild after an upgrade can take a while).
	CaughtUp func(n uint64)
}

// OpenLog opens the log in data with the inline projections as its Applier,
// creating the directory (0700) when writing, and brings the projections
// level with the log. Serve and the offline tools open it the same way. A
// file held by a running server fails within LockTimeout with events.Open's
// clear message.
func OpenLog(data string, o OpenOptions, opts events.Options) (*events.Log, error) {
	path := DBPath(data)
	if o.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no event log at %s (wrong --data?)", path)
		}
	} else if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	opts.Timeout = LockTimeout
	opts.ReadOnly = o.ReadOnly
	if opts.Applier == nil && !o.ReadOnly {
		opts.Applier = projections.New()
	}
	l, err := events.Open(path, opts)
	if err != nil {
		return nil, err
	}
	if !o.ReadOnly && !o.NoCatchUp {
		n, err := projections.EnsureCurrent(l.DB(), nil)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("bringing projections up to date: %w", err)
		}
		if o.CaughtUp != nil {
			o.CaughtUp(n)
		}
	}
	return l, nil
}

// CreateAccount makes a key secret, creates the account with its hash, and
// returns the secret (shown once) and the new account.
func CreateAccount(ctx context.Context, l *events.Log, in projections.NewAccount) (string, domain.Account, error) {
	secret, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		return "", domain.Account{}, err
	}
	in.KeyHash = domain.HashKeySecret(secret)
	in.KeyPrefix = domain.KeyShownPrefix(secret)
	evs, err := l.Execute(ctx, projections.CreateAccount(in))
	if err != nil {
		return "", domain.Account{}, err
	}
	acc, err := projections.View(l.DB(), func(tx *bolt.Tx) (domain.Account, error) {
		return projections.Account(tx, projections.AccountIDFromEvents(evs))
	})
	return secret, acc, err
}
