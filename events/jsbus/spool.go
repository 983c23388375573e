package jsbus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"warren/domain"
)

// spool is an edge's queue of captures on local disk: every capture is
// written here first and read back in order by the sender, which releases
// it once JetStream acknowledged it. While NATS is up the records are read
// back from the page cache within moments; while it is down they wait
// here, up to limit bytes, and beyond that new captures are dropped and
// counted. One code path for both keeps the order and survives an edge
// restart (not a power cut: records are not fsynced one by one, which
// would cost a disk flush per public request).
//
// Records live in segment files named <seq>.spool, each up to segMax
// bytes; a record is [4 length][4 CRC-32C][payload]. A segment is deleted
// once every record in it is acknowledged.
type spool struct {
	dir    string
	limit  int64
	segMax int64

	mu sync.Mutex
	// The segment being written: seq, file and size (records complete).
	wseq  uint64
	wf    *os.File
	wsize int64
	// The read position: where the next record to send starts.
	rseq uint64
	roff int64
	rf   *os.File
	// used is the bytes of records written and not yet acknowledged
	// (what limit bounds).
	used    int64
	dropped uint64
	skipped pos // the last corrupt record skipped
	wake    chan struct{}
}

// pos is a record's place in the spool.
type pos struct {
	seq       uint64
	off, size int64 // size includes the header
}

const recHeader = 8

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// openSpool opens (creating) the spool in dir. Segments left by an earlier
// run are read first: their records were never acknowledged, or were and
// the ack was lost with the process; JetStream's dedup and the control
// plane's AppendOnce make sending them again harmless.
func openSpool(dir string, limit, segMax int64) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "creating the capture spool %s: %v", dir, err)
	}
	s := &spool{dir: dir, limit: limit, segMax: segMax, wake: make(chan struct{}, 1)}
	seqs, err := s.segments()
	if err != nil {
		return nil, err
	}
	for _, seq := range seqs {
		fi, err := os.Stat(s.path(seq))
		if err != nil {
			return nil, domain.Errorf(domain.CodeUnavailable, "capture spool: %v", err)
		}
		s.used += fi.Size()
	}
	if len(seqs) > 0 {
		s.rseq, s.wseq = seqs[0], seqs[len(seqs)-1]+1
	} else {
		s.rseq, s.wseq = 1, 1
	}
	// Records of earlier runs are counted when read; used covers their bytes.
	if s.wf, err = os.OpenFile(s.path(s.wseq), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err != nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "capture spool: %v", err)
	}
	if len(seqs) > 0 {
		s.signal()
	}
	return s, nil
}

func (s *spool) path(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%016d.spool", seq))
}

// segments lists the sequence numbers of the segment files, ascending.
func (s *spool) segments() ([]uint64, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "reading the capture spool %s: %v", s.dir, err)
	}
	var seqs []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".spool")
		if seq, err := strconv.ParseUint(name, 10, 64); ok && err == nil {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

func (s *spool) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// errSpoolFull is what put returns for a dropped record.
var errSpoolFull = domain.Errorf(domain.CodeQuota, "the capture spool is full: capture dropped")

// put appends payload, or drops it (counted) when the spool would exceed
// its limit. Any other error is the disk's (CodeUnavailable).
func (s *spool) put(payload []byte) error {
	rec := make([]byte, recHeader, recHeader+len(payload))
	binary.BigEndian.PutUint32(rec, uint32(len(payload)))
	binary.BigEndian.PutUint32(rec[4:], crc32.Checksum(payload, crcTable))
	rec = append(rec, payload...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wf == nil {
		return domain.Errorf(domain.CodeUnavailable, "the capture spool is closed")
	}
	if s.used+int64(len(rec)) > s.limit {
		s.dropped++
		return errSpoolFull
	}
	if s.wsize > 0 && s.wsize+int64(len(rec)) > s.segMax {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	if _, err := s.wf.Write(rec); err != nil {
		// A partial write would be a torn record in the middle of the
		// segment: start a fresh one so the reader never sees it.
		s.rotate()
		return domain.Errorf(domain.CodeUnavailable, "writing the capture spool: %v", err)
	}
	s.wsize += int64(len(rec))
	s.used += int64(len(rec))
	s.signal()
	return nil
}

// rotate closes the segment being written and starts the next.
func (s *spool) rotate() error {
	s.wf.Close()
	s.wseq++
	s.wsize = 0
	var err error
	if s.wf, err = os.OpenFile(s.path(s.wseq), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err != nil {
		s.wf = nil
		return domain.Errorf(domain.CodeUnavailable, "capture spool: %v", err)
	}
	return nil
}

// next returns the record at the read position and moves past it;
// ok=false when there is none yet. A torn or corrupt record (a crash in
// the middle of a write) ends its segment: the rest of it is skipped and
// counted as dropped.
func (s *spool) next() (payload []byte, p pos, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		end := s.wsize
		if s.rseq != s.wseq {
			fi, err := os.Stat(s.path(s.rseq))
			if err != nil {
				end = 0 // gone (acknowledged and deleted): move on
			} else {
				end = fi.Size()
			}
		}
		if s.roff >= end {
			if s.rseq >= s.wseq {
				return nil, pos{}, false
			}
			s.closeReader()
			s.rseq, s.roff = s.rseq+1, 0
			continue
		}
		payload, size, err := s.read(end)
		if err != nil {
			// Counted once, though a rewind may read past it again.
			if here := (pos{seq: s.rseq, off: s.roff}); here != s.skipped {
				s.skipped = here
				s.dropped++
				s.used -= end - s.roff
			}
			s.roff = end
			continue
		}
		p = pos{seq: s.rseq, off: s.roff, size: size}
		s.roff += size
		return payload, p, true
	}
}

// read reads the record at the read position, which ends before end.
func (s *spool) read(end int64) ([]byte, int64, error) {
	if s.rf == nil {
		f, err := os.Open(s.path(s.rseq))
		if err != nil {
			return nil, 0, err
		}
		s.rf = f
	}
	var h [recHeader]byte
	if end-s.roff < recHeader {
		return nil, 0, io.ErrUnexpectedEOF
	}
	if _, err := s.rf.ReadAt(h[:], s.roff); err != nil {
		return nil, 0, err
	}
	n := int64(binary.BigEndian.Uint32(h[:]))
	if n > end-s.roff-recHeader {
		return nil, 0, io.ErrUnexpectedEOF
	}
	payload := make([]byte, n)
	if _, err := s.rf.ReadAt(payload, s.roff+recHeader); err != nil {
		return nil, 0, err
	}
	if crc32.Checksum(payload, crcTable) != binary.BigEndian.Uint32(h[4:]) {
		return nil, 0, errors.New("record checksum mismatch")
	}
	return payload, recHeader + n, nil
}

func (s *spool) closeReader() {
	if s.rf != nil {
		s.rf.Close()
		s.rf = nil
	}
}

// rewind moves the read position back to p: the records from p on are
// sent again.
func (s *spool) rewind(p pos) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.seq != s.rseq {
		s.closeReader()
	}
	s.rseq, s.roff = p.seq, p.off
}

// ack releases the record at p, and every record before it: segments
// wholly before p's are deleted, and p's own once p ends it and it is no
// longer written.
func (s *spool) ack(p pos) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used -= p.size
	for seq := p.seq - 1; seq > 0; seq-- {
		if err := os.Remove(s.path(seq)); err != nil {
			break // deleted before: so are all older ones
		}
	}
	if p.seq != s.wseq {
		if fi, err := os.Stat(s.path(p.seq)); err == nil && p.off+p.size >= fi.Size() {
			if s.rseq == p.seq {
				s.closeReader()
			}
			os.Remove(s.path(p.seq))
		}
	}
}

// spoolStats is the spool's state for Sender.Stats.
type spoolStats struct {
	bytes   int64
	dropped uint64
}

func (s *spool) stats() spoolStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return spoolStats{bytes: s.used, dropped: s.dropped}
}

// close closes the files; the segments stay for the next run.
func (s *spool) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeReader()
	if s.wf != nil {
		s.wf.Close()
		s.wf = nil
	}
}
