package certs

import (
	"context"
	"sync"

	"github.com/caddyserver/certmagic"

	"warren/domain"
)

// dirStorage is certmagic's FileStorage (certificates, keys and ACME
// accounts as files under the data directory) with its locks held in this
// process instead of lock files. One `warren serve` owns its data
// directory (the log's bbolt file is locked), so lock files, and the
// goroutine each one keeps to refresh it, would coordinate nobody.
type dirStorage struct {
	*certmagic.FileStorage
	mu   sync.Mutex
	held map[string]chan struct{} // closed when the lock is released
}

func newDirStorage(path string) *dirStorage {
	return &dirStorage{FileStorage: &certmagic.FileStorage{Path: path}, held: map[string]chan struct{}{}}
}

// Lock waits for name to be free, or for ctx to end.
func (s *dirStorage) Lock(ctx context.Context, name string) error {
	for {
		ok, wait := s.take(name)
		if ok {
			return nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// TryLock takes name if it is free.
func (s *dirStorage) TryLock(_ context.Context, name string) (bool, error) {
	ok, _ := s.take(name)
	return ok, nil
}

// Unlock releases name (CodeInternal if it was not held).
func (s *dirStorage) Unlock(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.held[name]
	if !ok {
		return domain.Errorf(domain.CodeInternal, "certificate storage: unlock of %q, which is not locked", name)
	}
	delete(s.held, name)
	close(ch)
	return nil
}

func (s *dirStorage) take(name string) (bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, busy := s.held[name]; busy {
		return false, ch
	}
	s.held[name] = make(chan struct{})
	return true, nil
}
