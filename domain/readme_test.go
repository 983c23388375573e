package domain

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEStatesTheSubdomainRuleBeforeUsingIt: the README's first
// `--subdomain` example came before any word on what a name may be, and a
// reader's `--subdomain gh` was then refused. The rule (3–63 characters)
// comes first, and every name the README uses follows it, but the ones it
// shows refused.
func TestREADMEStatesTheSubdomainRuleBeforeUsingIt(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	uses := regexp.MustCompile("--subdomain ([a-z0-9-]+)(` is refused)?").FindAllStringSubmatchIndex(readme, -1)
	if len(uses) == 0 {
		t.Fatal("no --subdomain example in README.md")
	}
	rule := strings.Index(readme, "3–63 characters")
	if rule < 0 || rule > uses[0][0] {
		t.Fatalf("README.md gives the subdomain rule (3–63 characters) at %d, after its first --subdomain example at %d", rule, uses[0][0])
	}
	for _, u := range uses {
		name, refused := readme[u[2]:u[3]], u[4] >= 0
		if err := ValidateSubdomain(name); (err != nil) != refused {
			t.Errorf("README.md: --subdomain %s: %v (shown refused: %t)", name, err, refused)
		}
	}
}
