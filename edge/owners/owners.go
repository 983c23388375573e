// Package owners is the table of which edge holds which public name, for
// scale-out: a JetStream key-value bucket mapping each host name and TCP
// port to the edge whose agent serves it. A name is claimed exclusively
// (a second edge's claim fails while the first holds it), kept by
// heartbeats, and lapses by itself a TTL after its holder's last one: an
// edge killed without releasing its names gives them up within the TTL.
//
// The TTL is the bucket's (JetStream MaxAge): every revision expires TTL
// after it was written, and a heartbeat writes a new one. Per-key TTLs
// (nats-server 2.11+, KeyTTL in nats.go) would not do: nats.go 1.56 sets
// one only on Create, and an Update (the heartbeat) writes a revision
// without it.
package owners

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"warren/domain"
)

// Owner is what the table holds for a name: the edge and where other
// edges reach it to forward a request in one hop.
type Owner struct {
	Edge string `json:"edge"`
	Addr string `json:"addr,omitempty"`
}

// Config configures a Table.
type Config struct {
	// Bucket names the key-value bucket (default "warren_owners").
	Bucket string
	// TTL is how long a name stays held after its holder's last
	// heartbeat (default 15 s). Every edge must use the same.
	TTL time.Duration
	// Self is this edge (required: Edge non-empty).
	Self Owner
	// OnLost is called, from the heartbeat loop, with a name this edge
	// held and no longer does (it lapsed while this edge could not reach
	// NATS, and another edge may hold it now): the edge closes the
	// tunnel serving it. May be nil.
	OnLost func(name string)
}

// Table is one edge's view of the owners bucket.
type Table struct {
	kv   jetstream.KeyValue
	cfg  Config
	self []byte

	mu   sync.Mutex
	held map[string]uint64 // name → revision of this edge's last write
}

// Open creates the bucket if it does not exist and returns the table.
// CodeInvalid without cfg.Self.Edge; CodeUnavailable when JetStream does
// not answer; CodeConflict when the bucket exists with another TTL.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Table, error) {
	if cfg.Self.Edge == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "the owners table needs this edge's id")
	}
	if cfg.Bucket == "" {
		cfg.Bucket = "warren_owners"
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 15 * time.Second
	}
	self, err := json.Marshal(cfg.Self)
	if err != nil {
		return nil, domain.Errorf(domain.CodeInternal, "encoding the owner: %v", err)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: cfg.Bucket, TTL: cfg.TTL, History: 1, Storage: jetstream.FileStorage,
		Description: "warren: which edge holds each public name",
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		if kv, err = js.KeyValue(ctx, cfg.Bucket); err == nil {
			var st jetstream.KeyValueStatus
			if st, err = kv.Status(ctx); err == nil && st.TTL() != cfg.TTL {
				return nil, domain.Errorf(domain.CodeConflict, "the owners bucket %s has a TTL of %s, this edge is configured with %s", cfg.Bucket, st.TTL(), cfg.TTL)
			}
		}
	}
	if err != nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "the owners bucket %s: %v", cfg.Bucket, err)
	}
	return &Table{kv: kv, cfg: cfg, self: self, held: map[string]uint64{}}, nil
}

// HostName is the table's name for a public host ("demo.example.com").
// Host names are case-insensitive; anything but letters, digits, '-' and
// '.' between labels is CodeInvalid.
func HostName(host string) (string, error) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || strings.HasPrefix(host, ".") || strings.Contains(host, "..") {
		return "", domain.Errorf(domain.CodeInvalid, "%q is not a host name", host)
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return "", domain.Errorf(domain.CodeInvalid, "%q is not a host name", host)
		}
	}
	return "host." + host, nil
}

// PortName is the table's name for a public TCP port.
func PortName(port int) (string, error) {
	if port <= 0 || port > 65535 {
		return "", domain.Errorf(domain.CodeInvalid, "%d is not a TCP port", port)
	}
	return fmt.Sprintf("tcp.%d", port), nil
}

// Claim makes this edge the holder of name. It fails with CodeConflict,
// naming the holder, while another edge holds it. A name this edge
// already holds, or held before a restart and which has not lapsed, is
// claimed again. CodeUnavailable when NATS does not answer.
func (t *Table) Claim(ctx context.Context, name string) error {
	var rev uint64
	var err error
	// A name that lapses between the create and the read is tried again,
	// a few times: it cannot flap for ever within one claim.
	for range 3 {
		if rev, err = t.kv.Create(ctx, name, t.self); !errors.Is(err, jetstream.ErrKeyExists) {
			break
		}
		e, gerr := t.kv.Get(ctx, name)
		if errors.Is(gerr, jetstream.ErrKeyNotFound) {
			continue
		}
		if gerr != nil {
			return domain.Errorf(domain.CodeUnavailable, "claiming %s: %v", name, gerr)
		}
		var o Owner
		if json.Unmarshal(e.Value(), &o) != nil || o.Edge != t.cfg.Self.Edge {
			return domain.Errorf(domain.CodeConflict, "%s is held by edge %s", name, o.Edge)
		}
		rev, err = t.kv.Update(ctx, name, t.self, e.Revision())
		break
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return domain.Errorf(domain.CodeConflict, "%s was claimed by another edge meanwhile", name)
	}
	if err != nil {
		return domain.Errorf(domain.CodeUnavailable, "claiming %s: %v", name, err)
	}
	t.mu.Lock()
	t.held[name] = rev
	t.mu.Unlock()
	return nil
}

// Release gives name up, if this edge still holds it (a name that lapsed
// and was claimed by another edge is left to it). CodeUnavailable when
// NATS does not answer: the name then lapses after the TTL.
func (t *Table) Release(ctx context.Context, name string) error {
	t.mu.Lock()
	rev, ok := t.held[name]
	delete(t.held, name)
	t.mu.Unlock()
	if !ok {
		return nil
	}
	err := t.kv.Delete(ctx, name, jetstream.LastRevision(rev))
	if err == nil || errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return domain.Errorf(domain.CodeUnavailable, "releasing %s: %v", name, err)
}

// Lookup returns the holder of name; ok=false when no edge holds it.
// CodeUnavailable when NATS does not answer.
func (t *Table) Lookup(ctx context.Context, name string) (o Owner, ok bool, err error) {
	e, err := t.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Owner{}, false, nil
	}
	if err != nil {
		return Owner{}, false, domain.Errorf(domain.CodeUnavailable, "looking up %s: %v", name, err)
	}
	if err := json.Unmarshal(e.Value(), &o); err != nil {
		return Owner{}, false, domain.Errorf(domain.CodeInternal, "the owner of %s is unreadable: %v", name, err)
	}
	return o, true, nil
}

// Held lists the names this edge holds.
func (t *Table) Held() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.held))
	for n := range t.held {
		out = append(out, n)
	}
	return out
}
