package server

import (
	"path/filepath"
	"sync"

	"warren/edge/sealed"
)

// accessSecrets is the sealed store of reservations' OIDC client secrets
// (<data>/secrets.sealed, key <data>/secrets.key, 0600): the log never
// holds a secret, since it could never be removed from it. The store is
// opened on first use, so a server whose reservations have no login makes
// no key file; once open it holds the store's lock until Close.
type accessSecrets struct {
	opt   sealed.Options
	mu    sync.Mutex
	store *sealed.Store
}

func newAccessSecrets(dataDir string) *accessSecrets {
	if dataDir == "" {
		return nil
	}
	return &accessSecrets{opt: sealed.Options{Path: filepath.Join(dataDir, "secrets.sealed"), KeyPath: filepath.Join(dataDir, "secrets.key")}}
}

func (a *accessSecrets) open() (*sealed.Store, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.store == nil {
		s, err := sealed.Open(a.opt)
		if err != nil {
			return nil, err // tried again on the next use
		}
		a.store = s
	}
	return a.store, nil
}

// Put seals a secret (sealed.Store.Put).
func (a *accessSecrets) Put(secret string) (string, string, error) {
	s, err := a.open()
	if err != nil {
		return "", "", err
	}
	return s.Put(secret)
}

// Get reads a sealed secret (sealed.Store.Get).
func (a *accessSecrets) Get(id string) (string, error) {
	s, err := a.open()
	if err != nil {
		return "", err
	}
	return s.Get(id)
}

// Delete destroys a sealed secret (sealed.Store.Delete).
func (a *accessSecrets) Delete(id string) error {
	s, err := a.open()
	if err != nil {
		return err
	}
	return s.Delete(id)
}

// Close releases the store's lock, if it was opened.
func (a *accessSecrets) Close() error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.store == nil {
		return nil
	}
	err := a.store.Close()
	a.store = nil
	return err
}
