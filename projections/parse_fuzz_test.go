package projections

import "testing"

// FuzzParseMonth: statements take the month from the URL path.
func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-11", "2026-13", "26-11", "2026-1", "", "2026-11-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonth(s)
		if err == nil && m.Format("2006-01") != s {
			t.Fatalf("ParseMonth(%q) accepted as %s", s, m.Format("2006-01"))
		}
	})
}
