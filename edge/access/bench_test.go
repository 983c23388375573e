package access

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkCheck_BasicAuth is the cost a tunnel's visitor pays: the first
// request of a user/password pair runs argon2id with DefaultParams, later
// ones are answered from the cache. Numbers in docs/performance.md.
func BenchmarkCheck_BasicAuth(b *testing.B) {
	cred, err := HashCredential("ada:correct horse")
	if err != nil {
		b.Fatal(err)
	}
	rules, err := New(Config{BasicAuth: []Credential{cred}})
	if err != nil {
		b.Fatal(err)
	}
	req := func(pw string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.SetBasicAuth("ada", pw)
		return r
	}
	b.Run("first", func(b *testing.B) {
		r := req("correct horse")
		for b.Loop() {
			clear(rules.cache.set)
			if !rules.Check(r).Allowed {
				b.Fatal("refused")
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		r := req("correct horse")
		for b.Loop() {
			if !rules.Check(r).Allowed {
				b.Fatal("refused")
			}
		}
	})
	b.Run("wrong", func(b *testing.B) {
		r := req("wrong password")
		for b.Loop() {
			if rules.Check(r).Allowed {
				b.Fatal("let in")
			}
		}
	})
}
