package wire

import (
	"bytes"
	"io"
	"testing"
)

// nopCloser gives a bytes.Buffer a Close.
type nopCloser struct{ io.ReadWriter }

func (nopCloser) Close() error { return nil }

// FuzzRead feeds the control-stream reader arbitrary bytes from a peer: it
// must return messages or errors, never panic, and what it accepts must
// survive a write and a read again.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"v":1,"type":"open","proto":"http","subdomain":"stripe-dev"}` + "\n"))
	f.Add([]byte(`{"v":1,"type":"opened","id":"tun_1","url":"http://x.localhost"}` + "\n" + `{"v":1,"type":"heartbeat"}` + "\n"))
	f.Add([]byte(`{"v":2,"type":"open"}` + "\n"))
	f.Add([]byte("not json\n"))
	f.Add([]byte(`{"v":1,"type":"request","request":{"id":"req_1","status":200,"at":"2026-11-24T00:00:00Z"}}` + "\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c := NewConn(nopCloser{bytes.NewBuffer(in)})
		for i := 0; i < 16; i++ {
			m, err := c.Read()
			if err != nil {
				return
			}
			var buf bytes.Buffer
			if err := NewConn(nopCloser{&buf}).Write(m); err != nil {
				t.Fatalf("re-writing an accepted message: %v", err)
			}
			if _, err := NewConn(nopCloser{&buf}).Read(); err != nil {
				t.Fatalf("re-reading an accepted message: %v", err)
			}
		}
	})
}

// FuzzStreamHeader feeds the stream-header and status readers arbitrary bytes.
func FuzzStreamHeader(f *testing.F) {
	var ok bytes.Buffer
	_ = WriteHeader(&ok, "tun_01JABCDEF")
	f.Add(ok.Bytes())
	f.Add([]byte{1, 200})
	f.Add([]byte{2, 0})
	f.Add([]byte{StatusRefused, 5, 'n', 'o', 'p', 'e', '!'})
	f.Fuzz(func(t *testing.T, in []byte) {
		if id, err := ReadHeader(bytes.NewReader(in)); err == nil {
			var buf bytes.Buffer
			if err := WriteHeader(&buf, id); err != nil {
				t.Fatalf("re-writing header %q: %v", id, err)
			}
			if again, err := ReadHeader(&buf); err != nil || again != id {
				t.Fatalf("header round trip: %q → %q (%v)", id, again, err)
			}
		}
		_ = ReadStatus(bytes.NewReader(in))
	})
}
