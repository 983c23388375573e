package domain

import (
	"slices"
	"testing"
)

// TestMergeAccess: the agent's flags add to a reservation's rules.
func TestMergeAccess(t *testing.T) {
	res := AccessRules{BasicAuth: []AccessCredential{{"ada", "h1"}, {"bob", "h2"}}, AllowCIDR: []string{"10.0.0.0/8"}, DenyCIDR: []string{"10.9.0.0/16"}}
	ag := AccessRules{BasicAuth: []AccessCredential{{"bob", "h3"}}, AllowCIDR: []string{"192.0.2.0/24", "10.0.0.0/8"}}
	got := MergeAccess(res, ag)
	if want := []AccessCredential{{"ada", "h1"}, {"bob", "h3"}}; !slices.Equal(got.BasicAuth, want) {
		t.Fatalf("users %v, want %v (the agent's hash wins)", got.BasicAuth, want)
	}
	if !slices.Equal(got.AllowCIDR, []string{"10.0.0.0/8", "192.0.2.0/24"}) || !slices.Equal(got.DenyCIDR, []string{"10.9.0.0/16"}) {
		t.Fatalf("prefixes %v / %v", got.AllowCIDR, got.DenyCIDR)
	}
	if e := MergeAccess(AccessRules{}, AccessRules{}); !e.Empty() {
		t.Fatalf("two empty sets merged to %+v", e)
	}
	if r := MergeAccess(res, AccessRules{}); !slices.Equal(r.AllowCIDR, res.AllowCIDR) {
		t.Fatalf("reservation alone: %+v", r)
	}
}
