package agent

import (
	"io"
	"sync"
)

// Copy buffer sizes. Large reads make large yamux frames, which bulk
// transfers need (docs/performance.md, "Agent copy buffers"). But every
// forwarded stream pipes both ways for as long as it lives, idle
// keep-alive included: at 4 MiB a side, 50 connections would hold 400 MiB.
// So a pipe starts small and holds a large buffer only while reads fill it.
const (
	smallCopyBuf = 32 << 10
	largeCopyBuf = 4 << 20
)

// copyBuffers pools the pipes' buffers in the two sizes.
type copyBuffers struct{ small, large sync.Pool }

func newCopyBuffers() *copyBuffers {
	p := &copyBuffers{}
	p.small.New = func() any { b := make([]byte, smallCopyBuf); return &b }
	p.large.New = func() any { b := make([]byte, largeCopyBuf); return &b }
	return p
}

// copy copies src to dst until EOF (nil error) or an error, as io.Copy
// does, moving to a large buffer when a read fills the small one and back
// when reads come in at less than half a small buffer (the flow has eased).
func (p *copyBuffers) copy(dst io.Writer, src io.Reader) (int64, error) {
	small := p.small.Get().(*[]byte)
	var large *[]byte
	defer func() {
		p.small.Put(small)
		if large != nil {
			p.large.Put(large)
		}
	}()
	buf := *small
	var written int64
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			w, werr := dst.Write(buf[:n])
			written += int64(w)
			if werr != nil {
				return written, werr
			}
			if w != n {
				return written, io.ErrShortWrite
			}
		}
		if rerr == io.EOF {
			return written, nil
		}
		if rerr != nil {
			return written, rerr
		}
		switch {
		case large == nil && n == len(buf):
			large = p.large.Get().(*[]byte)
			buf = *large
		case large != nil && n < smallCopyBuf/2:
			p.large.Put(large)
			large, buf = nil, *small
		}
	}
}
