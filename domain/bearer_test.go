package domain_test

import (
	"strings"
	"testing"

	"warren/domain"
)

func TestBearerSecret(t *testing.T) {
	key := mustKey(t)
	typo := key[:len(key)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(key, "A")]
	for _, tc := range []struct {
		name, header string
		ok, present  bool
	}{
		{"Canonical", "Bearer " + key, true, true},
		{"LowerScheme", "bearer " + key, true, true},
		{"UpperScheme", "BEARER " + key, true, true},
		{"MixedScheme", "bEaReR " + key, true, true},
		{"Tab", "Bearer\t" + key, true, true},
		{"ManySpaces", "Bearer    " + key, true, true},
		{"SurroundingSpace", "  Bearer " + key + " \t", true, true},
		{"ErrEmpty", "", false, false},
		{"ErrBlank", "  \t", false, false},
		{"ErrSchemeOnly", "Bearer", false, true},
		{"ErrSchemeAndSpace", "Bearer ", false, true},
		{"ErrNoScheme", key, false, true},
		{"ErrBasic", "Basic " + key, false, true},
		{"ErrBearerPrefix", "Bearerx " + key, false, true},
		{"ErrGluedToScheme", "Bearer" + key, false, true},
		{"ErrTypo", "Bearer " + typo, false, true},
		{"ErrTwoKeys", "Bearer " + key + " " + key, false, true},
		{"ErrGarbage", "Bearer garbage", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, present, err := domain.BearerSecret(tc.header)
			if present != tc.present {
				t.Fatalf("presented = %v, want %v", present, tc.present)
			}
			if !tc.ok {
				if err == nil || domain.ErrorCode(err) != domain.CodeUnauthorized || got != "" {
					t.Fatalf("got %q, %v; want an unauthorized error", got, err)
				}
				return
			}
			if err != nil || got != key {
				t.Fatalf("got %q, %v; want the key", got, err)
			}
		})
	}
}

// FuzzBearerSecret: any header value gives either a well-formed key secret
// found in the header, or an unauthorized error; never a panic.
func FuzzBearerSecret(f *testing.F) {
	key := mustKey(f)
	for _, s := range []string{"", "Bearer " + key, "bearer\t" + key, "Basic x", "Bearer", " Bearer  ak_ ", "Bearer \x00" + key} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got, present, err := domain.BearerSecret(h)
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeUnauthorized || got != "" {
				t.Fatalf("%q: got %q, %v", h, got, err)
			}
			if !present && strings.Trim(h, " \t") != "" {
				t.Fatalf("%q: a non-blank header counts as presented", h)
			}
			return
		}
		if domain.CheckKeySecret(got) != nil || !strings.Contains(h, got) || !present {
			t.Fatalf("%q: accepted %q", h, got)
		}
	})
}
