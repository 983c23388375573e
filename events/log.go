package events

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
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
	Version int       // schema version of Data; zero: its payload type's (see payloads.go), or 1

	compressed bool      // Bodies already compressed (Append does it off the writer)
	encoded    bool      // Data already a checked json.RawMessage (likewise)
	value      any       // the typed Data before encoding, handed on as Event.Value
	key        ulid.ULID // AppendOnce's idempotency key, recorded with the event (idempotent.go)
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
	// Publisher, if set, gets a Relay that the log owns: started by Open,
	// stopped by Close. It is the transition from the days the writer
	// published; new wiring builds the relay itself with NewRelay, runs it
	// under its own context and leaves this nil.
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
	// slabHint sizes the next batch's encoding buffer: the bytes of the last.
	slabHint int
	// queuedAtAck is how many requests were queued when the last batch was
	// acknowledged: the gather expects them plus the acknowledged coming back.
	queuedAtAck int

	// openHead is the head when the file was opened: where a relay with no
	// stored position starts.
	openHead Head
	// committed is the head's count after the last commit, for Relay.Lag.
	committed atomic.Uint64
	// waitersMu guards the set of channels woken after each commit; the
	// writer reads the current set from waiters without locking.
	waitersMu sync.Mutex
	waiters   atomic.Pointer[[]chan struct{}]

	// writeErr is the last commit's storage failure, nil after a success.
	writeErr atomic.Pointer[domain.Error]
	// appendTime is how long appends wait for their outcome (Stats).
	appendTime *Histogram

	// relay, when Options.Publisher is set, runs until Close.
	relay     *Relay
	relayStop context.CancelFunc
	relayDone chan error
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
// process fails within opts.Timeout (default 2 s) with a clear message. An
// existing file is checked first and refused with a *DamagedError when it
// is empty, cut short or has broken meta pages (bbolt's, read before bbolt
// maps the file), and, for writing, when the last events do not hash to the
// recorded head. The full check is Verify (`warren events verify`).
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
	inUse := fmt.Errorf("%s is in use by another process (is a warren server running on it?)", path)
	// A damaged file is refused before bbolt opens it: bbolt would
	// re-initialise an empty file and fault on pages past a short one.
	exists, err := checkFile(path, opts.ReadOnly, opts.Timeout)
	if errors.Is(err, errInUse) {
		return nil, inUse
	}
	if err != nil {
		return nil, err
	}
	db, err := openBolt(path, &bolt.Options{
		Timeout: opts.Timeout,
		// The freelist is written with each commit: without it, every open
		// walks the whole file to rebuild it, mapping all of it into RSS.
		FreelistType: bolt.FreelistMapType,
		ReadOnly:     opts.ReadOnly,
		// Growing the mapping waits for every open read transaction, so a
		// long one (an online backup) would stall appends each time the
		// file grows. Mapping 1 GiB up front (address space, not memory)
		// makes that rare.
		InitialMmapSize: 1 << 30,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, inUse
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if exists && !opts.ReadOnly {
		// The end of the chain, before anything is written to the file. A
		// read-only open (verify, backup) goes on: Verify names the broken
		// event, and a backup copies what is left.
		if err := db.View(func(tx *bolt.Tx) error { return checkTail(tx, path) }); err != nil {
			db.Close()
			return nil, err
		}
	}
	l := &Log{db: db, opts: opts, entropy: ulid.Monotonic(rand.Reader, 0), appendTime: NewHistogram(appendBounds...)}
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
	l.openHead = l.head
	l.committed.Store(l.head.Count)
	if !opts.ReadOnly {
		l.queue = make(chan *appendReq, opts.MaxBatch)
		l.stop = make(chan struct{})
		l.stopped = make(chan struct{})
		go l.writer()
		if opts.Publisher != nil {
			if l.relay, err = NewRelay(l, opts.Publisher, RelayOptions{}); err != nil {
				l.Close()
				return nil, err
			}
			ctx, cancel := context.WithCancel(context.Background())
			l.relayStop, l.relayDone = cancel, make(chan error, 1)
			go func() { l.relayDone <- l.relay.Run(ctx) }()
		}
	}
	return l, nil
}

// Relay is the relay Open started for Options.Publisher, nil without one.
func (l *Log) Relay() *Relay { return l.relay }

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

// Close stops the writer after the queued appends, then the relay it owns
// (which stores its position), and closes the file. A relay built with
// NewRelay must be stopped before.
func (l *Log) Close() error {
	l.closeMu.Do(func() {
		if l.stop != nil {
			l.enqueueMu.Lock()
			l.closed = true
			l.enqueueMu.Unlock()
			close(l.stop)
			<-l.stopped
		}
		if l.relayStop != nil {
			l.relayStop()
			<-l.relayDone
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
	cmd    Command // nil for Append: drafts holds the events
	drafts []Draft
	evs    []Event
	err    error
	// done is released by the writer once the outcome is known: a
	// WaitGroup lives in the request, where a channel would be one more
	// allocation per append.
	done sync.WaitGroup
	one  [1]Draft // drafts' storage for the usual single event
}

// Append appends drafts atomically and returns them as stored, after fsync.
func (l *Log) Append(ctx context.Context, in ...Draft) ([]Event, error) {
	r := &appendReq{}
	drafts := r.one[:0]
	if len(in) > 1 {
		drafts = make([]Draft, 0, len(in))
	}
	drafts = append(drafts, in...)
	for i := range drafts {
		if err := l.prepare(&drafts[i]); err != nil {
			return nil, err
		}
	}
	r.drafts = drafts
	return l.enqueue(ctx, r)
}

// prepare marshals and checks d's JSON and compresses its bodies: done by
// the appender, in parallel across appenders, rather than in the one
// writer goroutine.
func (l *Log) prepare(d *Draft) error {
	data, err := marshalData(d.Data)
	if err != nil {
		return &domain.Error{Code: domain.CodeInternal, Message: "encoding event data", Err: err}
	}
	if _, raw := d.Data.(json.RawMessage); !raw {
		d.value = d.Data
		d.Data = data // re-boxing a RawMessage would allocate for nothing
	}
	d.encoded = true
	if len(d.Bodies) > 0 {
		bodies := make([][]byte, len(d.Bodies))
		for j, b := range d.Bodies {
			if len(b) > 0 { // an empty part is not stored (Body says ok=false)
				bodies[j] = l.codec.Compress(b)
			}
		}
		d.Bodies, d.compressed = bodies, true
	}
	return nil
}

// Execute runs cmd inside a group-committed write transaction, appends the
// drafts it returns and applies them to the inline projections in the same
// transaction. It returns after fsync, with the stored events, or with cmd's
// error (nothing appended).
func (l *Log) Execute(ctx context.Context, cmd Command) ([]Event, error) {
	if l.queue == nil {
		return nil, ErrClosed
	}
	return l.enqueue(ctx, &appendReq{cmd: cmd})
}

func (l *Log) enqueue(ctx context.Context, r *appendReq) ([]Event, error) {
	if l.queue == nil {
		return nil, ErrClosed
	}
	start := time.Now() // not opts.Now: a test's fake clock would say nothing
	r.done.Add(1)
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
	r.done.Wait()
	l.appendTime.Observe(time.Since(start))
	return r.evs, r.err
}
