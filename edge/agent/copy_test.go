package agent

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"
)

// chunkReader returns the given read sizes in turn (capped by the caller's
// buffer) and records the buffer size of each call.
type chunkReader struct {
	data   []byte
	chunks []int
	bufs   []int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	r.bufs = append(r.bufs, len(p))
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(r.data)
	if len(r.chunks) > 0 {
		n, r.chunks = min(n, r.chunks[0]), r.chunks[1:]
	}
	n = copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func TestCopyBuffers(t *testing.T) {
	const s, l = smallCopyBuf, largeCopyBuf
	for name, tc := range map[string]struct {
		chunks []int // what each read returns at most
		bufs   []int // the buffer size each read is offered
	}{
		// A trickle never takes the large buffer.
		"Trickle": {chunks: []int{100, 200, 100}, bufs: []int{s, s, s, s}},
		// A read that fills the small buffer moves to the large one.
		"Bulk": {chunks: []int{s, l, l}, bufs: []int{s, l, l, l}},
		// A short read in bulk (under half a small buffer) moves back.
		"Eases": {chunks: []int{s, l, 10, s, 100}, bufs: []int{s, l, l, s, l, s}},
		// A read between half a small buffer and a full one keeps the large.
		"Partial": {chunks: []int{s, s - 1, l}, bufs: []int{s, l, l, l}},
	} {
		t.Run(name, func(t *testing.T) {
			total := 0
			for _, c := range tc.chunks {
				total += c
			}
			data := make([]byte, total)
			rand.Read(data)
			r := &chunkReader{data: data, chunks: tc.chunks}
			var out bytes.Buffer
			n, err := newCopyBuffers().copy(&out, r)
			if err != nil || n != int64(total) || !bytes.Equal(out.Bytes(), data) {
				t.Fatalf("copied %d of %d bytes, err %v, equal %v", n, total, err, bytes.Equal(out.Bytes(), data))
			}
			if len(r.bufs) != len(tc.bufs) {
				t.Fatalf("read buffer sizes %v, want %v", r.bufs, tc.bufs)
			}
			for i := range tc.bufs {
				if r.bufs[i] != tc.bufs[i] {
					t.Fatalf("read buffer sizes %v, want %v", r.bufs, tc.bufs)
				}
			}
		})
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n <= 0 {
		return 0, io.ErrClosedPipe
	}
	w.n--
	return len(p), nil
}

func TestCopyBuffers_WriteError(t *testing.T) {
	r := &chunkReader{data: make([]byte, 3*smallCopyBuf), chunks: []int{100, 100, 100}}
	n, err := newCopyBuffers().copy(&failWriter{n: 2}, r)
	if err != io.ErrClosedPipe || n != 200 {
		t.Fatalf("copy = %d, %v; want 200, %v", n, err, io.ErrClosedPipe)
	}
}
