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

// Compress returns the zstd frame of b.
func (c *BodyCodec) Compress(b []byte) []byte {
	return c.enc.EncodeAll(b, make([]byte, 0, len(b)/2+64))
}

// Decompress returns the bytes of a zstd frame.
func (c *BodyCodec) Decompress(b []byte) ([]byte, error) {
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
// compressed bytes freed.
func DeleteBodies(tx *bolt.Tx, id ulid.ULID) (int64, error) {
	b := tx.Bucket(bucketBodies)
	var keys [][]byte
	var freed int64
	c := b.Cursor()
	for k, v := c.Seek(id[:]); k != nil && bytes.HasPrefix(k, id[:]); k, v = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
		freed += int64(len(v))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return freed, nil
}
