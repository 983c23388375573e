package dashboard

import (
	"crypto/rand"
	"testing"
)

// BenchmarkVerifyPassword is the CPU a sign-in costs at the default
// parameters (docs/performance.md).
func BenchmarkVerifyPassword(b *testing.B) {
	phc, err := HashPassword(rand.Reader, "correct horse battery", RFC9106Second)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := VerifyPassword(phc, "correct horse battery"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
