package events

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// Bucket names owned by the log. Projections must use others.
var (
	bucketEvents = []byte("events")
	bucketBodies = []byte("bodies")
	bucketMeta   = []byte("log_meta")
	keyHead      = []byte("head") // [16] last id [32] last hash [8] count
)

// Applier applies committed-to-be events to the inline projections inside the
// append's write transaction. An error aborts the whole transaction.
// It must be deterministic: rebuild replays the same events through it.
type Applier interface {
	Apply(tx *bolt.Tx, evs []Event) error
	// Init creates the applier's buckets; Open calls it before any command runs.
	Init(tx *bolt.Tx) error
}

// Draft is an event before the writer gives it an id, a time and a place in the chain.
type Draft struct {
	Type    Type
	Account string
	Data    any       // marshalled to JSON; a json.RawMessage is taken as is
	At      time.Time // zero: the writer's clock
	Bodies  [][]byte  // raw bytes stored compressed under (id, index); see Log.Body

	compressed bool // Bodies already compressed (Append does it off the writer)
	encoded    bool // Data already a checked json.RawMessage (likewise)
}

// Command decides, inside the write transaction, which events to append. It
// reads projection state through tx, returns drafts or a *domain.Error, and
// must not write: the log applies its events through the Applier. It may be
// run more than once if its batch has to be retried.
type Command func(tx *Tx) ([]Draft, error)

// Tx is the write transaction a Command decides in.
type Tx struct {
	*bolt.Tx
	log *Log
	now time.Time
}

// Now is the time the writer will stamp on drafts without one.
func (t *Tx) Now() time.Time { return t.now }

// NewID draws an id from the log's monotonic source, for new entities.
func (t *Tx) NewID() ulid.ULID { return t.log.nextID(t.now) }

// Options configure Open.
type Options struct {
	// Timeout bounds the wait for the file lock held by another process.
	Timeout time.Duration
	// Applier is called inside every append transaction (may be nil).
	Applier Applier
	// Publisher receives each committed event (may be nil).
	Publisher message.Publisher
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxBatch caps the events in one group commit (default 4096).
	MaxBatch int
	// ReadOnly opens the file without the writer.
	ReadOnly bool
}

// Log is the append-only event log in one bbolt file.
type Log struct {
	db      *bolt.DB
	opts    Options
	codec   *BodyCodec
	queue   chan *appendReq
	stop    chan struct{}
	stopped chan struct{}
	closeMu sync.Once
	// enqueueMu orders enqueues before Close: once closed is set no request
	// can enter the queue, so the writer's final drain sees every one.
	enqueueMu sync.RWMutex
	closed    bool

	// Writer-goroutine state (and the id source under idMu for Tx.NewID).
	idMu    sync.Mutex
	entropy *ulid.MonotonicEntropy
	lastID  ulid.ULID
	head    Head
}

// Head describes the end of the log.
type Head struct {
	Count uint64    `json:"count"`
	ID    ulid.ULID `json:"id"`
	Hash  [32]byte  `json:"-"`
}

// ErrClosed is returned by appends after Close.
var ErrClosed = &domain.Error{Code: domain.CodeUnavailable, Message: "the event log is closed"}

// Open opens (creating if needed) the log at path. A file locked by another
// process fails within opts.Timeout (default 2 s) with a clear message.
func Open(path string, opts Options) (*Log, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 4096
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        opts.Timeout,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		ReadOnly:       opts.ReadOnly,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%s is in use by another process (is a warren server running on it?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	l := &Log{db: db, opts: opts, entropy: ulid.Monotonic(rand.Reader, 0)}
	if l.codec, err = NewBodyCodec(); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		if err := db.Update(func(tx *bolt.Tx) error {
			for _, b := range [][]byte{bucketEvents, bucketBodies, bucketMeta} {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			if opts.Applier != nil {
				return opts.Applier.Init(tx)
			}
			return nil
		}); err != nil {
			db.Close()
			return nil, fmt.Errorf("initialising %s: %w", path, err)
		}
	}
	if err := db.View(func(tx *bolt.Tx) error {
		h, err := readHead(tx)
		l.head = h
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	l.lastID = l.head.ID
	if !opts.ReadOnly {
		l.queue = make(chan *appendReq, opts.MaxBatch)
		l.stop = make(chan struct{})
		l.stopped = make(chan struct{})
		go l.writer()
	}
	return l, nil
}

func readHead(tx *bolt.Tx) (Head, error) {
	var h Head
	mb := tx.Bucket(bucketMeta)
	if mb == nil {
		return h, nil
	}
	v := mb.Get(keyHead)
	if v == nil {
		return h, nil
	}
	if len(v) != 16+32+8 {
		return h, fmt.Errorf("events: corrupt log head (%d bytes)", len(v))
	}
	copy(h.ID[:], v[:16])
	copy(h.Hash[:], v[16:48])
	h.Count = binary.BigEndian.Uint64(v[48:])
	return h, nil
}

func putHead(tx *bolt.Tx, h Head) error {
	v := make([]byte, 0, 56)
	v = append(v, h.ID[:]...)
	v = append(v, h.Hash[:]...)
	v = binary.BigEndian.AppendUint64(v, h.Count)
	return tx.Bucket(bucketMeta).Put(keyHead, v)
}

// DB exposes the bbolt handle for projections' reads and for rebuild.
func (l *Log) DB() *bolt.DB { return l.db }

// Codec is the log's body codec.
func (l *Log) Codec() *BodyCodec { return l.codec }

// Close stops the writer after the queued appends and closes the file.
func (l *Log) Close() error {
	l.closeMu.Do(func() {
		if l.stop != nil {
			l.enqueueMu.Lock()
			l.closed = true
			l.enqueueMu.Unlock()
			close(l.stop)
			<-l.stopped
		}
	})
	return l.db.Close()
}

// nextID returns a ULID strictly greater than every earlier one, even within
// one millisecond and even if the clock steps back.
func (l *Log) nextID(now time.Time) ulid.ULID {
	l.idMu.Lock()
	defer l.idMu.Unlock()
	ms := ulid.Timestamp(now)
	if ms < l.lastID.Time() {
		ms = l.lastID.Time()
	}
	id, err := ulid.New(ms, l.entropy)
	if err != nil || id.Compare(l.lastID) <= 0 {
		// Entropy overflow within one ms: move to the next millisecond.
		id = ulid.MustNew(l.lastID.Time()+1, l.entropy)
	}
	l.lastID = id
	return id
}

type appendReq struct {
	cmd  Command
	evs  []Event
	err  error
	done chan struct{}
}

// Append appends drafts atomically and returns them as stored, after fsync.
func (l *Log) Append(ctx context.Context, drafts ...Draft) ([]Event, error) {
	drafts = append([]Draft(nil), drafts...)
	for i := range drafts {
		// Marshal and check the JSON here, in parallel across appenders,
		// rather than in the one writer goroutine.
		data, err := marshalData(drafts[i].Data)
		if err != nil {
			return nil, &domain.Error{Code: domain.CodeInternal, Message: "encoding event data", Err: err}
		}
		drafts[i].Data, drafts[i].encoded = data, true
		if len(drafts[i].Bodies) > 0 {
			bodies := make([][]byte, len(drafts[i].Bodies))
			for j, b := range drafts[i].Bodies {
				bodies[j] = l.codec.Compress(b)
			}
			drafts[i].Bodies, drafts[i].compressed = bodies, true
		}
	}
	return l.Execute(ctx, func(*Tx) ([]Draft, error) { return drafts, nil })
}

// Execute runs cmd inside a group-committed write transaction, appends the
// drafts it returns and applies them to the inline projections in the same
// transaction. It returns after fsync, with the stored events, or with cmd's
// error (nothing appended).
func (l *Log) Execute(ctx context.Context, cmd Command) ([]Event, error) {
	if l.queue == nil {
		return nil, ErrClosed
	}
	r := &appendReq{cmd: cmd, done: make(chan struct{})}
	l.enqueueMu.RLock()
	if l.closed {
		l.enqueueMu.RUnlock()
		return nil, ErrClosed
	}
	// The writer keeps draining until Close has the lock, so this send
	// cannot block forever.
	select {
	case l.queue <- r:
	case <-ctx.Done():
		l.enqueueMu.RUnlock()
		return nil, ctx.Err()
	}
	l.enqueueMu.RUnlock()
	// Once queued, wait for the outcome even if ctx ends: the events may be
	// committed, and the caller must not believe otherwise.
	<-r.done
	return r.evs, r.err
}

func (l *Log) writer() {
	defer close(l.stopped)
	batch := make([]*appendReq, 0, l.opts.MaxBatch)
	stopping := false
	// The size and duration of the last commit steer how long to gather.
	lastBatch, lastCommit := 0, time.Duration(0)
	for {
		var first *appendReq
		if stopping {
			// Close holds off new requests: drain what is queued, in batches, then stop.
			select {
			case first = <-l.queue:
			default:
				return
			}
		} else {
			select {
			case first = <-l.queue:
			case <-l.stop:
				stopping = true
				continue
			}
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < l.opts.MaxBatch {
			select {
			case r := <-l.queue:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		// The requests just acknowledged tend to come straight back: wait a
		// little for them so they share this fsync rather than the next.
		// A lone sequential appender (lastBatch 1) never waits.
		if !stopping && lastBatch > 1 && len(batch) < l.opts.MaxBatch {
			batch = l.gather(batch, min(len(batch)+lastBatch, l.opts.MaxBatch), lastCommit/8)
		}
		start := time.Now()
		l.commit(batch)
		lastBatch, lastCommit = len(batch), time.Since(start)
	}
}

// gather waits up to wait for the batch to reach want requests. Appenders
// just acknowledged come back within microseconds; without this pause the
// writer would commit the first few alone and the rest in the next fsync,
// alternating small and full batches and halving throughput under load.
// wait is a fraction of the last commit, so a lone appender barely notices.
// It yields rather than sleeps: Go timers below 1 ms round up to 1 ms when
// the process is otherwise idle, which would cost more than the fsync.
func (l *Log) gather(batch []*appendReq, want int, wait time.Duration) []*appendReq {
	deadline := time.Now().Add(wait)
	for len(batch) < want {
		select {
		case r := <-l.queue:
			batch = append(batch, r)
			continue
		default:
		}
		if time.Now().After(deadline) {
			break
		}
		runtime.Gosched()
	}
	return batch
}

// commit writes a batch in one transaction. If the transaction fails as a
// whole, each request is retried alone so one bad request fails only itself.
func (l *Log) commit(batch []*appendReq) {
	err := l.commitTx(batch)
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			l.commit([]*appendReq{r})
		}
		return
	}
	for _, r := range batch {
		if err != nil {
			r.evs, r.err = nil, err
		}
		if r.err == nil {
			l.publish(r.evs)
		}
		close(r.done)
	}
}

func (l *Log) commitTx(batch []*appendReq) error {
	head := l.head
	err := l.db.Update(func(btx *bolt.Tx) (err error) {
		// A panicking command or applier fails its batch, not the server.
		defer func() {
			if p := recover(); p != nil {
				err = &domain.Error{Code: domain.CodeInternal, Message: "append failed", Err: fmt.Errorf("panic: %v", p)}
			}
		}()
		events := btx.Bucket(bucketEvents)
		bodies := btx.Bucket(bucketBodies)
		// Keys only ever grow, so pages split full rather than half empty
		// (bbolt's default), which halves the file and what rebuild maps.
		events.FillPercent, bodies.FillPercent = 1.0, 1.0
		now := l.opts.Now().UTC()
		tx := &Tx{Tx: btx, log: l, now: now}
		for _, r := range batch {
			r.evs, r.err = nil, nil
			drafts, err := r.cmd(tx)
			if err != nil {
				r.err = err
				continue
			}
			if len(drafts) == 0 {
				continue
			}
			evs := make([]Event, len(drafts))
			for i := range drafts {
				d := &drafts[i]
				ev := &evs[i]
				ev.ID = l.nextID(now)
				ev.Type, ev.Account, ev.Version, ev.Prev = d.Type, d.Account, CurrentVersion, head.Hash
				ev.At = d.At.UTC()
				if d.At.IsZero() {
					ev.At = now
				}
				if d.encoded {
					ev.Data = d.Data.(json.RawMessage)
				} else if ev.Data, err = marshalData(d.Data); err != nil {
					r.err = &domain.Error{Code: domain.CodeInternal, Message: "encoding event data", Err: err}
					break
				}
				raw, err := Encode(ev)
				if err != nil {
					r.err = &domain.Error{Code: domain.CodeInternal, Message: "encoding event", Err: err}
					break
				}
				for j, body := range d.Bodies {
					if !d.compressed {
						body = l.codec.Compress(body)
					}
					if err := bodies.Put(bodyKey(ev.ID, j), body); err != nil {
						return err
					}
				}
				if err := events.Put(ev.ID[:], raw); err != nil {
					return err
				}
				head = Head{Count: head.Count + 1, ID: ev.ID, Hash: sha256.Sum256(raw)}
			}
			if r.err != nil {
				// Encoding failed before anything of this request was applied,
				// but puts may have happened: abort the batch, retry alone.
				return r.err
			}
			if l.opts.Applier != nil {
				if err := l.opts.Applier.Apply(btx, evs); err != nil {
					return fmt.Errorf("applying %d events to projections: %w", len(evs), err)
				}
			}
			r.evs = evs
		}
		return putHead(btx, head)
	})
	if err != nil {
		return err
	}
	l.head = head
	return nil
}

func marshalData(v any) (json.RawMessage, error) {
	switch d := v.(type) {
	case nil:
		return json.RawMessage("{}"), nil
	case json.RawMessage:
		if !json.Valid(d) {
			return nil, errors.New("raw event data is not valid JSON")
		}
		return d, nil
	}
	return json.Marshal(v)
}

func bodyKey(id ulid.ULID, part int) []byte {
	k := make([]byte, 17)
	copy(k, id[:])
	k[16] = byte(part)
	return k
}
