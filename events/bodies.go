package events

import (
	"bytes"
	"fmt"

	"github.com/klauspost/compress/zstd"
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
)

// BodyCodec compresses captured bodies with zstd. One encoder and one decoder
// are shared: EncodeAll and DecodeAll are safe for concurrent use.
type BodyCodec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// NewBodyCodec builds the codec.
func NewBodyCodec() (*BodyCodec, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return &BodyCodec{enc: enc, dec: dec}, nil
}

// rawTag starts a body stored as is. zstd frames start with their magic
// number's first byte, 0x28, so the two never meet.
const rawTag = 0x00

// rawBelow is the size under which a body is stored as is: zstd cannot
// shrink a few dozen bytes (its frame header alone is 6 to 18), and calling
// it cost more than the rest of storing a small webhook answer.
const rawBelow = 64

// Compress returns b as stored: a zstd frame, or under rawBelow bytes the
// raw tag and b.
func (c *BodyCodec) Compress(b []byte) []byte {
	if len(b) < rawBelow {
		return append([]byte{rawTag}, b...)
	}
	return c.enc.EncodeAll(b, make([]byte, 0, len(b)/2+64))
}

// Decompress returns the bytes of a stored body.
func (c *BodyCodec) Decompress(b []byte) ([]byte, error) {
	if len(b) > 0 && b[0] == rawTag {
		return append([]byte(nil), b[1:]...), nil
	}
	return c.dec.DecodeAll(b, nil)
}

// Body returns the decompressed body part of the event id, with ok=false when
// none is stored (never captured, empty, or pruned).
func (l *Log) Body(id ulid.ULID, part int) (body []byte, ok bool, err error) {
	var comp []byte
	err = l.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketBodies).Get(bodyKey(id, part)); v != nil {
			comp = append([]byte(nil), v...)
		}
		return nil
	})
	if err != nil || comp == nil {
		return nil, false, err
	}
	body, err = l.codec.Decompress(comp)
	if err != nil {
		return nil, false, fmt.Errorf("events: body %s/%d: %w", id, part, err)
	}
	return body, true, nil
}

// DeleteBodies removes the stored body parts of id inside tx (retention
// records a bodies.pruned event in the same transaction). It returns the
// compressed bytes freed; on an error, those freed before it (every stored
// part holds at least a frame header, so more than 0 means some part was
// removed: those deletions stay in tx, and must be recorded).
func DeleteBodies(tx *bolt.Tx, id ulid.ULID) (int64, error) {
	b := tx.Bucket(bucketBodies)
	type part struct {
		k    []byte
		size int64
	}
	var ps []part
	c := b.Cursor()
	for k, v := c.Seek(id[:]); k != nil && bytes.HasPrefix(k, id[:]); k, v = c.Next() {
		ps = append(ps, part{append([]byte(nil), k...), int64(len(v))})
	}
	var freed int64
	for _, p := range ps {
		if err := b.Delete(p.k); err != nil {
			return freed, err
		}
		freed += p.size
	}
	return freed, nil
}
