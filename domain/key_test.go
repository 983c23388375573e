package domain_test

import (
	"bytes"
	"crypto/rand"
	"regexp"
	"strings"
	"testing"

	"warren/domain"
)

var keyShape = regexp.MustCompile(`^ak_[0-9A-Za-z]{28}$`)

func mustKey(t testing.TB) string {
	t.Helper()
	k, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestNewKeySecret(t *testing.T) {
	t.Run("Format", func(t *testing.T) {
		seen := map[string]bool{}
		for i := 0; i < 500; i++ {
			k := mustKey(t)
			if !keyShape.MatchString(k) {
				t.Fatalf("key %q does not match %s", k, keyShape)
			}
			if seen[k] {
				t.Fatalf("duplicate key %q", k)
			}
			seen[k] = true
			if err := domain.CheckKeySecret(k); err != nil {
				t.Fatalf("fresh key %q rejected: %v", k, err)
			}
		}
	})
	t.Run("ZeroAndMaxRandomness", func(t *testing.T) {
		for _, b := range []byte{0x00, 0xff} {
			k, err := domain.NewKeySecret(bytes.NewReader(bytes.Repeat([]byte{b}, 16)))
			if err != nil {
				t.Fatal(err)
			}
			if !keyShape.MatchString(k) || domain.CheckKeySecret(k) != nil {
				t.Fatalf("key from %#x bytes %q is not well formed", b, k)
			}
		}
	})
	t.Run("ErrShortRandomness", func(t *testing.T) {
		_, err := domain.NewKeySecret(bytes.NewReader(make([]byte, 15)))
		if domain.ErrorCode(err) != domain.CodeInternal {
			t.Fatalf("err = %v, want internal", err)
		}
	})
	t.Run("ShownPrefix", func(t *testing.T) {
		k := mustKey(t)
		p := domain.KeyShownPrefix(k)
		if len(p) != 9 || !strings.HasPrefix(k, p) {
			t.Fatalf("KeyShownPrefix(%q) = %q", k, p)
		}
		if domain.KeyShownPrefix("ak_") != "ak_" {
			t.Fatal("short secret not returned whole")
		}
	})
}

// typo changes the character at i to another base62 character.
func typo(k string, i int) string {
	c := byte('a')
	if k[i] == 'a' {
		c = 'b'
	}
	return k[:i] + string(c) + k[i+1:]
}

func TestCheckKeySecret(t *testing.T) {
	k := mustKey(t)
	t.Run("OK", func(t *testing.T) {
		if err := domain.CheckKeySecret(k); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrOneCharTypo", func(t *testing.T) {
		// Every single-character change in the random part or checksum is caught.
		for i := 3; i < len(k); i++ {
			bad := typo(k, i)
			if err := domain.CheckKeySecret(bad); domain.ErrorCode(err) != domain.CodeUnauthorized {
				t.Fatalf("typo at %d (%q) err = %v, want unauthorized", i, bad, err)
			}
		}
	})
	bad := map[string]string{
		"ErrEmpty":        "",
		"ErrTooShort":     k[:len(k)-1],
		"ErrTooLong":      k + "a",
		"ErrWrongPrefix":  "ak-" + k[3:],
		"ErrUpperPrefix":  "AK_" + k[3:],
		"ErrOtherPrefix":  "sk_" + k[3:],
		"ErrNonBase62":    k[:10] + "_" + k[11:],
		"ErrUnicode":      k[:len(k)-2] + "é",
		"ErrPrefixOnly":   "ak_",
		"ErrWhitespace":   " " + k[:len(k)-1],
		"ErrSwappedChars": k[:5] + k[6:7] + k[5:6] + k[7:],
	}
	for name, s := range bad {
		t.Run(name, func(t *testing.T) {
			if s == k {
				t.Skip("swap of equal characters")
			}
			err := domain.CheckKeySecret(s)
			if domain.ErrorCode(err) != domain.CodeUnauthorized {
				t.Fatalf("CheckKeySecret(%q) = %v, want unauthorized", s, err)
			}
		})
	}
}

func TestHashKeySecret(t *testing.T) {
	t.Run("Stable", func(t *testing.T) {
		// Known SHA-256 of the literal string, so a change of hashing is caught.
		const want = "5364b0ab6b28e44634f8657a9ae296865937601d03a55585138ab0afa9a8b790"
		if got := domain.HashKeySecret("ak_test"); got != want {
			t.Fatalf("HashKeySecret = %q, want %q", got, want)
		}
	})
	t.Run("Distinct", func(t *testing.T) {
		a, b := mustKey(t), mustKey(t)
		if domain.HashKeySecret(a) == domain.HashKeySecret(b) {
			t.Fatal("two keys hash alike")
		}
	})
	t.Run("Equal", func(t *testing.T) {
		h := domain.HashKeySecret("x")
		if !domain.KeyHashEqual(h, domain.HashKeySecret("x")) || domain.KeyHashEqual(h, domain.HashKeySecret("y")) {
			t.Fatal("KeyHashEqual wrong")
		}
	})
}

func FuzzCheckKeySecret(f *testing.F) {
	f.Add("")
	f.Add("ak_")
	f.Add("ak_0000000000000000000000000000")
	f.Add(mustKey(f))
	f.Add(typo(mustKey(f), 10))
	f.Add("ak_ééééééééééééééé")
	f.Fuzz(func(t *testing.T, s string) {
		err := domain.CheckKeySecret(s)
		if err == nil {
			if !keyShape.MatchString(s) {
				t.Fatalf("accepted malformed %q", s)
			}
			return
		}
		if domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Fatalf("CheckKeySecret(%q) code = %q", s, domain.ErrorCode(err))
		}
	})
}
