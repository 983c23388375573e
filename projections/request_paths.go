package projections

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
)

// bRequestPaths is each tunnel's path column: its requests' paths (with
// their queries) in capture order, pathChunkMax to a value (fewer when
// they pass pathChunkBytes). A path filter on
// one tunnel (the inspector's search) looks for its substring in a whole
// chunk with one bytes.Index and skips the chunk when it is absent: about
// 10 KB of memory read for 256 requests, where the request indexes cost a
// cursor step (and a summary get) per request. Chunks are cut by count
// and size alone, so live appends and rebuild give the same values.
var bRequestPaths = []byte("p_request_paths") // acc 0 tunnel 0 ulid of its first request → chunk

// A chunk: pathChunkFormat, its record count (uint16, big-endian), then
// per record its ULID (16 bytes), the path's length (uvarint) and the path.
const (
	pathChunkFormat = 1
	pathChunkHead   = 3
	pathChunkMax    = 256
	// pathChunkBytes also closes a chunk, so long paths do not make the
	// value a transaction rewrites large.
	pathChunkBytes = 32 << 10
)

// pathBatch builds the chunks a transaction appends to, one per tunnel, so
// a busy tunnel's chunk is put once per transaction, not once per request.
type pathBatch map[string]*pathChunk

type pathChunk struct {
	key []byte // its key in bRequestPaths
	buf []byte
	n   int
}

func tunnelPrefix(accountID, tunnel string) []byte {
	return key([]byte(accountID), []byte(tunnel), nil)
}

// add appends the request id's path to its tunnel's column.
func (pb pathBatch) add(tx *bolt.Tx, accountID, tunnel string, id ulid.ULID, path string) error {
	prefix := tunnelPrefix(accountID, tunnel)
	c := pb[string(prefix)]
	if c == nil {
		c = &pathChunk{}
		if k, v := lastChunk(tx.Bucket(bRequestPaths).Cursor(), prefix); k != nil && chunkCount(v) < pathChunkMax && len(v) < pathChunkBytes {
			c.key, c.buf, c.n = append([]byte(nil), k...), append(make([]byte, 0, len(v)+64), v...), chunkCount(v)
		}
		pb[string(prefix)] = c
	}
	if c.key == nil || c.n == pathChunkMax || len(c.buf) >= pathChunkBytes {
		if c.key != nil {
			if err := c.put(tx); err != nil {
				return err
			}
		}
		c.key, c.buf, c.n = append(append([]byte(nil), prefix...), id[:]...), make([]byte, pathChunkHead, 4096), 0
		c.buf[0] = pathChunkFormat
	}
	c.buf = append(c.buf, id[:]...)
	c.buf = binary.AppendUvarint(c.buf, uint64(len(path)))
	c.buf = append(c.buf, path...)
	c.n++
	return nil
}

// put writes the chunk; bbolt keeps buf until the commit, so a chunk
// put is never appended to again (add starts a new buffer).
func (c *pathChunk) put(tx *bolt.Tx) error {
	binary.BigEndian.PutUint16(c.buf[1:pathChunkHead], uint16(c.n))
	return tx.Bucket(bRequestPaths).Put(c.key, c.buf)
}

func (pb pathBatch) flush(tx *bolt.Tx) error {
	for _, c := range pb {
		if c.key != nil {
			if err := c.put(tx); err != nil {
				return err
			}
		}
	}
	return nil
}

// lastChunk positions c on the newest chunk under prefix (nil: none).
func lastChunk(c *bolt.Cursor, prefix []byte) ([]byte, []byte) {
	end := append(append([]byte(nil), prefix...), bytes.Repeat([]byte{0xff}, 17)...)
	k, v := c.Seek(end)
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || len(k) != len(prefix)+16 || !bytes.HasPrefix(k, prefix) {
		return nil, nil
	}
	return k, v
}

func chunkCount(v []byte) int {
	if len(v) < pathChunkHead || v[0] != pathChunkFormat {
		return 0
	}
	return int(binary.BigEndian.Uint16(v[1:pathChunkHead]))
}

// pathRecord is one request of a chunk, pointing into it.
type pathRecord struct {
	id   []byte
	path []byte
}

// chunkRecords parses a chunk's records into out (reused), oldest first.
func chunkRecords(v []byte, out []pathRecord) ([]pathRecord, error) {
	out = out[:0]
	if len(v) < pathChunkHead || v[0] != pathChunkFormat {
		return out, errSummary
	}
	for p := pathChunkHead; p < len(v); {
		if len(v)-p < 16 {
			return out, errSummary
		}
		id := v[p : p+16]
		n, w := binary.Uvarint(v[p+16:])
		if w <= 0 || uint64(len(v)-p-16-w) < n {
			return out, errSummary
		}
		start := p + 16 + w
		out = append(out, pathRecord{id: id, path: v[start : start+int(n)]})
		p = start + int(n)
	}
	return out, nil
}

// chunkHolds reports whether needle occurs anywhere in chunk. bytes.Index
// anchors on the needle's first byte, most often '/', the commonest byte of
// a path; this anchors on the needle's first byte that is not punctuation
// or a digit, which a path holds far fewer of.
func chunkHolds(chunk, needle []byte) bool {
	a := 0
	for i, c := range needle {
		if !strings.ContainsRune("/?=&.-_%0123456789", rune(c)) {
			a = i
			break
		}
	}
	if a == 0 {
		return bytes.Contains(chunk, needle)
	}
	for i := a; i+len(needle)-a <= len(chunk); {
		j := bytes.IndexByte(chunk[i:len(chunk)-(len(needle)-a)+1], needle[a])
		if j < 0 {
			return false
		}
		i += j
		if bytes.Equal(chunk[i-a:i-a+len(needle)], needle) {
			return true
		}
		i++
	}
	return false
}
