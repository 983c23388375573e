package sealed

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/nacl/secretbox"

	"warren/domain"
)

// Options say where a store lives and what it draws on.
type Options struct {
	Path    string           // the store file, e.g. <data>/secrets.sealed
	KeyPath string           // the key file, e.g. <data>/secrets.key; created 0600 if absent
	Rand    io.Reader        // ids, nonces and a new key; crypto/rand when nil
	Now     func() time.Time // Entry.Created; time.Now when nil
}

// Entry describes a stored secret without revealing it.
type Entry struct {
	ID          string    `json:"id"`
	Fingerprint string    `json:"fingerprint"`
	Created     time.Time `json:"created"`
}

// record is an Entry with its secret: the sealed file's plaintext only.
type record struct {
	Entry
	Secret string `json:"secret"`
}

// contents is the plaintext the whole file seals.
type contents struct {
	V       int      `json:"v"`
	Secrets []record `json:"secrets"`
}

// Store is an open sealed store. Its methods are safe for concurrent use.
type Store struct {
	opt   Options
	lock  *os.File
	box   *[32]byte
	fpKey *[32]byte

	mu      sync.Mutex
	secrets []record
}

// MaxSecret bounds one secret: signing secrets are tens of bytes.
const MaxSecret = 64 << 10

// magic starts every store file: a name and a format version, so a stray
// file is told apart from a damaged store.
var magic = []byte("WSEALED1")

const nonceSize = 24

// Open opens the store at opt.Path with the key at opt.KeyPath, creating
// the key (and later the store) on first use. It takes an exclusive lock
// (<path>.lock) for the life of the Store, and drops a <path>.tmp left by
// a write that crashed before its rename.
//
// Errors: CodeForbidden for a key file group or others may read;
// CodeNotFound for a store whose key file is missing; CodeInvalid for a
// key file of the wrong size; CodeUnavailable when another process has the
// store open; CodeInternal when the file does not open with the key
// (another key, or damage) and for I/O failures.
func Open(opt Options) (*Store, error) {
	if opt.Path == "" || opt.KeyPath == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "sealed store: a path and a key path are needed")
	}
	if opt.Rand == nil {
		opt.Rand = rand.Reader
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	lock, err := os.OpenFile(opt.Path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, &domain.Error{Code: domain.CodeInternal, Message: "opening the sealed store's lock", Err: err}
	}
	if ok, err := lockFile(lock); !ok {
		_ = lock.Close()
		if err != nil {
			return nil, &domain.Error{Code: domain.CodeInternal, Message: "locking the sealed store", Err: err}
		}
		return nil, domain.Errorf(domain.CodeUnavailable, "sealed store %s is open in another process", opt.Path)
	}
	s, err := open(opt, lock)
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	return s, nil
}

func open(opt Options, lock *os.File) (*Store, error) {
	if err := os.Remove(opt.Path + ".tmp"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, &domain.Error{Code: domain.CodeInternal, Message: "removing an unfinished sealed store write", Err: err}
	}
	sealedBytes, err := os.ReadFile(opt.Path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, &domain.Error{Code: domain.CodeInternal, Message: "reading the sealed store", Err: err}
	}
	key, err := loadOrCreateKey(opt.KeyPath, exists, opt.Rand)
	if err != nil {
		return nil, err
	}
	s := &Store{opt: opt, lock: lock, box: derive(key, "warren sealed store box v1"),
		fpKey: derive(key, "warren sealed store fingerprint v1")}
	clear(key)
	if exists {
		c, err := s.unseal(sealedBytes)
		if err != nil {
			return nil, err
		}
		s.secrets = c.Secrets
	}
	return s, nil
}

// unseal opens a store file's bytes.
func (s *Store) unseal(b []byte) (contents, error) {
	var c contents
	if len(b) < len(magic)+nonceSize+secretbox.Overhead || !bytes.Equal(b[:len(magic)], magic) {
		return c, domain.Errorf(domain.CodeInternal, "%s is not a sealed store (or is truncated)", s.opt.Path)
	}
	var nonce [nonceSize]byte
	copy(nonce[:], b[len(magic):])
	plain, ok := secretbox.Open(nil, b[len(magic)+nonceSize:], &nonce, s.box)
	if !ok {
		return c, domain.Errorf(domain.CodeInternal, "sealed store %s does not open with key %s (another key, or the file is damaged)", s.opt.Path, s.opt.KeyPath)
	}
	defer clear(plain)
	if err := json.Unmarshal(plain, &c); err != nil || c.V != 1 {
		return c, domain.Errorf(domain.CodeInternal, "sealed store %s: unknown contents", s.opt.Path)
	}
	return c, nil
}

// Fingerprint names a secret without revealing it: "fp_" and 16 hex
// digits of an HMAC keyed by this store's key. A plain hash would let
// anyone holding the log test guesses at a weak secret offline.
func (s *Store) Fingerprint(secret string) string {
	m := hmac.New(sha256.New, s.fpKey[:])
	m.Write([]byte(secret))
	return "fp_" + hex.EncodeToString(m.Sum(nil)[:8])
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Put seals secret under a new id ("sec_...") and returns the id and the
// secret's fingerprint. It returns once the store file is durable.
// CodeInvalid for an empty secret or one over MaxSecret.
func (s *Store) Put(secret string) (id, fingerprint string, err error) {
	if secret == "" || len(secret) > MaxSecret {
		return "", "", domain.Errorf(domain.CodeInvalid, "a sealed secret is 1 to %d bytes", MaxSecret)
	}
	raw := make([]byte, 16)
	if _, err := io.ReadFull(s.opt.Rand, raw); err != nil {
		return "", "", &domain.Error{Code: domain.CodeInternal, Message: "making a secret id", Err: err}
	}
	r := record{Entry: Entry{ID: "sec_" + idEncoding.EncodeToString(raw), Fingerprint: s.Fingerprint(secret),
		Created: s.opt.Now().UTC()}, Secret: secret}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.write(append(slices.Clip(s.secrets), r)); err != nil {
		return "", "", err
	}
	return r.ID, r.Fingerprint, nil
}

// Get returns the secret stored under id. CodeNotFound when there is none
// (never stored, or deleted).
func (s *Store) Get(id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.find(id); i >= 0 {
		return s.secrets[i].Secret, nil
	}
	return "", domain.Errorf(domain.CodeNotFound, "no sealed secret %s", id)
}

// Delete destroys the secret stored under id: once it returns, the store
// file has been replaced by one without it. CodeNotFound when there is
// none.
func (s *Store) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(id)
	if i < 0 {
		return domain.Errorf(domain.CodeNotFound, "no sealed secret %s", id)
	}
	return s.write(slices.Delete(slices.Clone(s.secrets), i, i+1))
}

// List describes every stored secret, oldest first, without the secrets.
func (s *Store) List() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Entry, len(s.secrets))
	for i, r := range s.secrets {
		out[i] = r.Entry
	}
	return out
}

// Close releases the lock. The Store must not be used afterwards.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = nil
	return s.lock.Close()
}

func (s *Store) find(id string) int {
	return slices.IndexFunc(s.secrets, func(r record) bool { return r.ID == id })
}

// write seals next, makes it the store file (temp file, fsync, rename,
// directory fsync) and only then adopts it in memory, so a failed write
// leaves the Store as it was. Called with mu held.
func (s *Store) write(next []record) error {
	plain, err := json.Marshal(contents{V: 1, Secrets: next})
	if err != nil {
		return &domain.Error{Code: domain.CodeInternal, Message: "encoding the sealed store", Err: err}
	}
	var nonce [nonceSize]byte
	if _, err := io.ReadFull(s.opt.Rand, nonce[:]); err != nil {
		return &domain.Error{Code: domain.CodeInternal, Message: "making a nonce", Err: err}
	}
	out := secretbox.Seal(append(append([]byte{}, magic...), nonce[:]...), plain, &nonce, s.box)
	clear(plain)
	if err := replaceFile(s.opt.Path, out); err != nil {
		return &domain.Error{Code: domain.CodeInternal, Message: "writing the sealed store", Err: err}
	}
	s.secrets = next
	return nil
}

// replaceFile puts b at path atomically and durably.
func replaceFile(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}
