package dashboard

import (
	"crypto/rand"
	"strings"
	"testing"

	"warren/domain"
)

// cheap keeps tests fast; RFC9106Second is checked once below.
var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashPassword(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		phc, err := HashPassword(rand.Reader, "correct horse battery", RFC9106Second)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(phc, "$argon2id$v=19$m=65536,t=3,p=4$") {
			t.Fatalf("PHC string %s", phc)
		}
		for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
			if ok, err := VerifyPassword(phc, pw); err != nil || ok != want {
				t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, ok, err, want)
			}
		}
	})
	t.Run("SaltDiffers", func(t *testing.T) {
		a, _ := HashPassword(rand.Reader, "correct horse", cheap)
		b, _ := HashPassword(rand.Reader, "correct horse", cheap)
		if a == b {
			t.Fatal("two hashes of one password are equal: no fresh salt")
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		if _, err := HashPassword(rand.Reader, "short", cheap); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("short password: %v", err)
		}
		if _, err := VerifyPassword("$argon2id$nope", "whatever1"); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("bad PHC: %v", err)
		}
	})
	t.Run("DummyParses", func(t *testing.T) {
		if _, err := domain.ParsePasswordHash(dummyHash); err != nil {
			t.Fatal(err)
		}
	})
}
