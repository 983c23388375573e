package domain_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"warren/domain"
)

func TestValidateSubdomain(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"Plain", "myapp", true},
		{"WithHyphen", "my-app", true},
		{"DoubleHyphenInside", "my--app", true},
		{"DigitsOnly", "12345", true},
		{"ThreeChars", "abc", true},
		{"Len63", strings.Repeat("a", 63), true},
		{"DigitEdges", "1-a-2", true},
		{"Len64", strings.Repeat("a", 64), false},
		{"TwoChars", "ab", false},
		{"Empty", "", false},
		{"Uppercase", "MyApp", false},
		{"AllUppercase", "ABC", false},
		{"LeadingHyphen", "-app", false},
		{"TrailingHyphen", "app-", false},
		{"OnlyHyphens", "---", false},
		{"Dot", "my.app", false},
		{"Underscore", "my_app", false},
		{"Space", "my app", false},
		{"Unicode", "café", false},
		{"UnicodeLookalike", "аpp", false}, // Cyrillic а
		{"Reserved_api", "api", false},
		{"Reserved_www", "www", false},
		{"Reserved_admin", "admin", false},
		{"Reserved_dashboard", "dashboard", false},
		{"Reserved_agent", "agent", false},
		{"ReservedAsPrefixOK", "api-docs", true},
		{"NUL", "ab\x00c", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.ValidateSubdomain(tt.in)
			if tt.ok && err != nil {
				t.Fatalf("ValidateSubdomain(%q) = %v, want nil", tt.in, err)
			}
			if !tt.ok {
				if err == nil {
					t.Fatalf("ValidateSubdomain(%q) = nil, want an error", tt.in)
				}
				if got := domain.ErrorCode(err); got != domain.CodeInvalid {
					t.Fatalf("ValidateSubdomain(%q) code = %q, want %q", tt.in, got, domain.CodeInvalid)
				}
			}
		})
	}
}

// subdomainRule restates the subdomain rule independently of the code under test.
func subdomainRule(s string) bool {
	if len(s) < 3 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-') {
			return false
		}
	}
	switch s {
	case "api", "www", "admin", "dashboard", "agent":
		return false
	}
	return true
}

func FuzzValidateSubdomain(f *testing.F) {
	for _, s := range []string{"", "a", "ab", "abc", "api", "www", "my-app", "-ab", "ab-",
		"ABC", "café", strings.Repeat("x", 63), strings.Repeat("x", 64), "a\x00b", "12-34", "a.b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := domain.ValidateSubdomain(s)
		if err == nil && !subdomainRule(s) {
			t.Fatalf("ValidateSubdomain accepted %q which breaks the rule", s)
		}
		if err != nil && domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("ValidateSubdomain(%q) code = %q", s, domain.ErrorCode(err))
		}
	})
}

func TestValidateHostname(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"TwoLabels", "example.com", true},
		{"ThreeLabels", "api.example.com", true},
		{"HyphenInside", "my-site.example.co", true},
		{"DigitLabel", "1.example.com", true},
		{"Label63", strings.Repeat("a", 63) + ".com", true},
		{"Len253", strings.Repeat(strings.Repeat("a", 62)+".", 4)[:249] + "x.co", true},
		{"Label64", strings.Repeat("a", 64) + ".com", false},
		{"Len254", strings.Repeat("a.", 127), false},
		{"Empty", "", false},
		{"OneLabel", "localhost", false},
		{"EmptyLabel", "example..com", false},
		{"TrailingDot", "example.com.", false},
		{"LeadingDot", ".example.com", false},
		{"Uppercase", "Example.com", false},
		{"LeadingHyphenLabel", "-a.example.com", false},
		{"TrailingHyphenLabel", "a-.example.com", false},
		{"Underscore", "a_b.example.com", false},
		{"Unicode", "bücher.de", false},
		{"Port", "example.com:80", false},
		{"IPv4", "127.0.0.1", false},
		{"NumericTLD", "example.123", false},
		{"DigitsNotLast", "123.456.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.ValidateHostname(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("ValidateHostname(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("code = %q, want invalid", domain.ErrorCode(err))
			}
		})
	}
}

func TestRandomSubdomain(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		seen := map[string]bool{}
		for i := 0; i < 2000; i++ {
			s, err := domain.RandomSubdomain(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if err := domain.ValidateSubdomain(s); err != nil {
				t.Fatalf("RandomSubdomain drew invalid %q: %v", s, err)
			}
			if strings.Count(s, "-") != 2 {
				t.Fatalf("RandomSubdomain drew %q, want adjective-noun-number", s)
			}
			seen[s] = true
		}
		if len(seen) < 1900 {
			t.Fatalf("only %d distinct names in 2000 draws", len(seen))
		}
	})
	t.Run("Deterministic", func(t *testing.T) {
		a, _ := domain.RandomSubdomain(bytes.NewReader([]byte{1, 2, 3, 4}))
		b, _ := domain.RandomSubdomain(bytes.NewReader([]byte{1, 2, 3, 4}))
		if a != b {
			t.Fatalf("same randomness gave %q and %q", a, b)
		}
	})
	t.Run("ErrShortRandomness", func(t *testing.T) {
		_, err := domain.RandomSubdomain(bytes.NewReader([]byte{1}))
		if domain.ErrorCode(err) != domain.CodeInternal {
			t.Fatalf("err = %v, want internal", err)
		}
	})
}
