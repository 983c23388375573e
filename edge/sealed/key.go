package sealed

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"warren/domain"
)

// KeySize is the size of the key file: one secretbox key's worth.
const KeySize = 32

// loadOrCreateKey reads the key file, or creates it (0600) when it is
// absent and no store exists yet. A store without its key is refused
// rather than re-keyed: a new key would make the old secrets unreadable
// and the next write would destroy them.
func loadOrCreateKey(path string, storeExists bool, rnd io.Reader) ([]byte, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if storeExists {
			return nil, domain.Errorf(domain.CodeNotFound,
				"sealed store exists but its key file %s is missing: restore the key file (without it the stored secrets cannot be read)", path)
		}
		return createKey(path, rnd)
	case err != nil:
		return nil, &domain.Error{Code: domain.CodeInternal, Message: "reading the sealed store's key file", Err: err}
	case !fi.Mode().IsRegular():
		return nil, domain.Errorf(domain.CodeInvalid, "sealed store key %s is not a regular file", path)
	case fi.Mode().Perm()&0o077 != 0:
		return nil, domain.Errorf(domain.CodeForbidden,
			"sealed store key %s may be read by group or others (mode %04o): chmod 600 it", path, fi.Mode().Perm())
	case fi.Size() != KeySize:
		return nil, domain.Errorf(domain.CodeInvalid, "sealed store key %s is %d bytes, want %d", path, fi.Size(), KeySize)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, &domain.Error{Code: domain.CodeInternal, Message: "reading the sealed store's key file", Err: err}
	}
	if len(key) != KeySize {
		return nil, domain.Errorf(domain.CodeInvalid, "sealed store key %s is %d bytes, want %d", path, len(key), KeySize)
	}
	return key, nil
}

// createKey writes a fresh key with O_EXCL (two starting servers cannot
// both create one), mode 0600 whatever the umask, synced with its
// directory entry.
func createKey(path string, rnd io.Reader) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(rnd, key); err != nil {
		return nil, &domain.Error{Code: domain.CodeInternal, Message: "making the sealed store's key", Err: err}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, &domain.Error{Code: domain.CodeInternal, Message: "creating the sealed store's key file", Err: err}
	}
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(key)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		_ = os.Remove(path)
		return nil, &domain.Error{Code: domain.CodeInternal, Message: "writing the sealed store's key file", Err: err}
	}
	return key, nil
}

// derive gives each use of the key its own subkey, so the box key and
// the fingerprint key are never the same bytes.
func derive(key []byte, label string) *[32]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return &out
}

// syncDir makes a rename or a create in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
