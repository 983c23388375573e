package edge

import (
	"strings"
	"testing"
)

// FuzzRoutingInput feeds the edge's own parser of what a public client
// controls, the Host header, arbitrary text. API paths are not parsed here:
// the API's router (httpapi) matches them.
func FuzzRoutingInput(f *testing.F) {
	f.Add("stripe-dev.localhost:8080")
	f.Add("[::1]:80")
	f.Add("")
	f.Add("a.b.c.d.e")
	f.Fuzz(func(t *testing.T, host string) {
		// A well-formed host:port loses its port; anything else just must
		// not panic (it then matches no tunnel: 404).
		if name, port, ok := strings.Cut(host, ":"); ok && name != "" && !strings.ContainsAny(name, "[]:") && port != "" && strings.Trim(port, "0123456789") == "" {
			if h := HostOnly(host); h != strings.TrimSuffix(strings.ToLower(name), ".") {
				t.Fatalf("HostOnly(%q) = %q", host, h)
			}
		}
	})
}
