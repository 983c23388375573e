package events

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DamagedError refuses a data file that cannot be trusted: empty, cut
// short, or with a broken meta page or chain tail. Open returns it rather
// than re-initialising the file (which would hide every account) or letting
// bbolt map pages past the end of the file (which kills the process with
// SIGBUS). It has no domain code of its own: domain.ErrorCode reads it as
// internal.
type DamagedError struct {
	Path    string // the data file
	Problem string // what is wrong with it
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%s is damaged: %s. Warren will not open it, nor start a new log over it "+
		"(a new log is created only where no file exists). Run `warren events verify --data %s` for the full check, "+
		"and restore the latest backup (docs/operations.md, \"Backup and restore\")",
		e.Path, e.Problem, filepath.Dir(e.Path))
}

// bbolt's on-disk meta page, read here before bbolt maps the file: a page
// header ([8] id [2] flags [2] count [4] overflow), then the meta ([4] magic
// [4] version [4] page size [4] flags [16] root bucket [8] freelist [8] high
// water mark [8] txid [8] checksum), in the machine's byte order. The
// checksum is FNV-64a of the meta before it.
const (
	bboltPageHeader = 16
	bboltMetaLen    = 64
	bboltMetaFlag   = 0x04
	bboltMagic      = 0xED0CDAED
	bboltVersion    = 2
)

// bboltMeta is what the size check needs of a meta page.
type bboltMeta struct {
	pageSize uint32
	pgid     uint64 // the high water mark: pages [0, pgid) are in use
	txid     uint64
}

// parseMeta checks one meta page's header, magic, version and checksum.
func parseMeta(p []byte) (bboltMeta, error) {
	var m bboltMeta
	if len(p) < bboltPageHeader+bboltMetaLen {
		return m, errors.New("cut short")
	}
	ne := binary.NativeEndian
	if ne.Uint16(p[8:10])&bboltMetaFlag == 0 {
		return m, errors.New("not marked as a meta page")
	}
	meta := p[bboltPageHeader : bboltPageHeader+bboltMetaLen]
	if ne.Uint32(meta[0:4]) != bboltMagic {
		return m, errors.New("bad magic number")
	}
	if v := ne.Uint32(meta[4:8]); v != bboltVersion {
		return m, fmt.Errorf("bbolt format version %d, not %d", v, bboltVersion)
	}
	h := fnv.New64a()
	h.Write(meta[:56])
	if h.Sum64() != ne.Uint64(meta[56:64]) {
		return m, errors.New("checksum mismatch")
	}
	m.pageSize, m.pgid, m.txid = ne.Uint32(meta[8:12]), ne.Uint64(meta[40:48]), ne.Uint64(meta[48:56])
	if m.pageSize < 512 || m.pageSize > 1<<20 || m.pageSize&(m.pageSize-1) != 0 {
		return m, fmt.Errorf("impossible page size %d", m.pageSize)
	}
	return m, nil
}

// emptyFile is the problem of a file of 0 bytes.
const emptyFile = "the file is empty (0 bytes): it holds no log"

// checkFile reads bbolt's two meta pages of an existing file before bbolt
// opens it (bbolt's open already reads pages the meta points to, which
// faults past the end of a short file), under a shared lock so that no
// writer is changing them meanwhile. It returns false for a file that does
// not exist yet (Open creates it), errInUse when another process kept the
// file locked for timeout, and a *DamagedError for an empty file, a file
// shorter than its meta says, or broken meta pages. A writable open refuses
// one broken meta page too: bbolt would fall back to the other, silently
// dropping the last commit. A read-only open (verify, backup) tolerates it,
// so what is left can still be checked and copied.
func checkFile(path string, readOnly bool, timeout time.Duration) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close() // and with it the lock
	if ok, err := sharedLock(f, timeout); err != nil {
		return true, fmt.Errorf("locking %s: %w", path, err)
	} else if !ok {
		return true, errInUse
	}
	fi, err := f.Stat()
	if err != nil {
		return true, fmt.Errorf("opening %s: %w", path, err)
	}
	size := fi.Size()
	damaged := func(format string, args ...any) error {
		return &DamagedError{Path: path, Problem: fmt.Sprintf(format, args...)}
	}
	if size == 0 {
		return true, damaged(emptyFile)
	}
	read := func(off int64) []byte {
		b := make([]byte, bboltPageHeader+bboltMetaLen)
		n, _ := f.ReadAt(b, off)
		return b[:n]
	}
	m0, err0 := parseMeta(read(0))
	// Page 1 starts one page in; with page 0 broken, try the sizes bbolt does.
	var m1 bboltMeta
	err1 := errors.New("not found")
	if err0 == nil {
		m1, err1 = parseMeta(read(int64(m0.pageSize)))
	} else {
		for ps := int64(1024); ps <= 1<<20 && ps < size && err1 != nil; ps *= 2 {
			m1, err1 = parseMeta(read(ps))
		}
	}
	switch {
	case err0 != nil && err1 != nil:
		return true, damaged("both bbolt meta pages are broken (page 0: %v; page 1: %v), so it is not a bbolt file or is overwritten (%d bytes)", err0, err1, size)
	case err0 != nil && !readOnly:
		return true, damaged("bbolt meta page 0 is broken (%v); bbolt would fall back to page 1 and drop the last commit", err0)
	case err1 != nil && !readOnly:
		return true, damaged("bbolt meta page 1 is broken (%v); bbolt would fall back to page 0 and drop the last commit", err1)
	}
	// bbolt uses the valid meta with the higher txid; every page it can
	// reach lies below that meta's high water mark.
	use := m0
	if err0 != nil || (err1 == nil && m1.txid > m0.txid) {
		use = m1
	}
	if need := int64(use.pgid) * int64(use.pageSize); size < need || size < 2*int64(use.pageSize) {
		return true, damaged("the file is %d bytes but its last commit (transaction %d) needs at least %d: it was cut short (a truncated copy, or a full disk)", size, use.txid, max(need, 2*int64(use.pageSize)))
	}
	return true, nil
}

// errInUse says another process holds the file's lock.
var errInUse = errors.New("in use")

// openBolt is bolt.Open, with its panics on pages that are not what the
// meta says (it reads the freelist while opening) turned into a
// *DamagedError. The file bbolt opened then stays open, and locked, until
// the process ends: a refusal ends a server's start anyway.
func openBolt(path string, o *bolt.Options) (db *bolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, &DamagedError{Path: path, Problem: fmt.Sprintf("bbolt could not read it: %v", p)}
		}
	}()
	return bolt.Open(path, 0o600, o)
}

// tailChecked is how many of the last events Open checks against the head.
const tailChecked = 8

// checkTail checks the end of the chain inside tx: the recorded head is the
// last event, whose stored bytes hash to it, and the last few events decode
// and link by their prev hashes. bbolt panics on some damaged pages; that is
// turned into an error too. A file with no log buckets passes when it has no
// buckets at all (a crash before the first commit) and fails otherwise: it
// is some other bbolt file.
func checkTail(tx *bolt.Tx, path string) (err error) {
	damaged := func(format string, args ...any) error {
		return &DamagedError{Path: path, Problem: fmt.Sprintf(format, args...)}
	}
	defer func() {
		if p := recover(); p != nil {
			err = damaged("reading the end of the log failed: %v", p)
		}
	}()
	eb := tx.Bucket(bucketEvents)
	if eb == nil {
		var names []string
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
		if len(names) > 0 {
			return damaged("it has no events bucket but holds %q: it is not a Warren log", names)
		}
		return nil
	}
	head, err := readHead(tx)
	if err != nil {
		return damaged("%v", err)
	}
	c := eb.Cursor()
	k, v := c.Last()
	if head.Count == 0 {
		if k != nil {
			return damaged("its recorded head is empty but it holds events")
		}
		return nil
	}
	if k == nil || !bytes.Equal(k, head.ID[:]) {
		return damaged("its last event is not the recorded head %s (events were lost or added behind the log's back)", head.ID)
	}
	if sha256.Sum256(v) != head.Hash {
		return damaged("the stored bytes of its last event %s no longer hash to the recorded head", head.ID)
	}
	next := head.ID
	for i := 0; k != nil && i < tailChecked; i++ {
		ev, err := Decode(v)
		if err != nil {
			return damaged("event %x near the end does not decode: %v", k, err)
		}
		if !bytes.Equal(ev.ID[:], k) || (i > 0 && ev.ID.Compare(next) >= 0) {
			return damaged("event %x near the end is out of order or not under its id", k)
		}
		next = ev.ID
		prevKey, prevVal := c.Prev()
		if prevKey == nil {
			if ev.Prev != ([32]byte{}) {
				return damaged("its first event %s links to a predecessor that is not there", ev.ID)
			}
			break
		}
		if sha256.Sum256(prevVal) != ev.Prev {
			return damaged("event %x near the end does not link to the one before it (its prev hash differs): the chain is broken there", k)
		}
		k, v = prevKey, prevVal
	}
	return nil
}
