package projections

import (
	"bytes"
	"testing"
)

// TestChunkHoldsIsContains: the anchored search answers as bytes.Contains.
func TestChunkHoldsIsContains(t *testing.T) {
	chunk := []byte("/api/items/1?page=2/github/x/gi/githu/0/9?=&")
	for _, n := range []string{"/github/", "github", "/gi", "?=&", "&", "/api/", "x/gi/g", "githuz", "/0/9?=&", "/0/9?=&x", "2/g", "pag", "ge=2", "/"} {
		if got, want := chunkHolds(chunk, []byte(n)), bytes.Contains(chunk, []byte(n)); got != want {
			t.Errorf("%q: chunkHolds %v, bytes.Contains %v", n, got, want)
		}
	}
}
