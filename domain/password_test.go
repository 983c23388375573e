package domain

import (
	"bytes"
	"testing"
)

func TestParsePasswordHash(t *testing.T) {
	good := PasswordHash{Memory: 65536, Time: 3, Threads: 4, Salt: bytes.Repeat([]byte{1}, 16), Key: bytes.Repeat([]byte{2}, 32)}
	t.Run("OK", func(t *testing.T) {
		s := good.String()
		if s != "$argon2id$v=19$m=65536,t=3,p=4$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI" {
			t.Fatalf("String = %s", s)
		}
		h, err := ParsePasswordHash(s)
		if err != nil || h.String() != s {
			t.Fatalf("round trip: %+v, %v", h, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, s := range []string{
			"", "plain", "$argon2i$v=19$m=65536,t=3,p=4$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
			"$argon2id$v=16$m=65536,t=3,p=4$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
			"$argon2id$v=19$t=3,m=65536,p=4$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
			"$argon2id$v=19$m=4294967295,t=3,p=4$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
			"$argon2id$v=19$m=65536,t=0,p=4$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
			"$argon2id$v=19$m=65536,t=3,p=0$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
			"$argon2id$v=19$m=65536,t=3,p=4$AQEBAQEBAQEBAQEBAQEBAQ==$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
			"$argon2id$v=19$m=65536,t=3,p=4$AQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
			"$argon2id$v=19$m=065536,t=3,p=4$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
			"$argon2id$v=19$m=65536,t=3,p=4$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI$x",
		} {
			if _, err := ParsePasswordHash(s); ErrorCode(err) != CodeInvalid {
				t.Errorf("ParsePasswordHash(%q) = %v, want invalid", s, err)
			}
		}
	})
}

// FuzzParsePasswordHash: any string either fails with CodeInvalid or parses
// to a hash within the bounds whose String parses back to the same.
func FuzzParsePasswordHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=3,p=4$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParsePasswordHash(s)
		if err != nil {
			if ErrorCode(err) != CodeInvalid {
				t.Fatalf("error %v is not invalid", err)
			}
			return
		}
		if h.Memory > PasswordMaxMemory || h.Time > PasswordMaxTime || h.Threads == 0 || uint32(h.Threads)*8 > h.Memory {
			t.Fatalf("out of bounds: %+v", h)
		}
		again, err := ParsePasswordHash(h.String())
		if err != nil || again.String() != h.String() {
			t.Fatalf("round trip of %q: %v", s, err)
		}
	})
}

func TestValidatePassword(t *testing.T) {
	if err := ValidatePassword("correct horse"); err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"", "short", string(make([]byte, 1025))} {
		if ErrorCode(ValidatePassword(pw)) != CodeInvalid {
			t.Errorf("ValidatePassword(len %d) accepted", len(pw))
		}
	}
}
