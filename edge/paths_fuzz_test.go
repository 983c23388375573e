package edge

import (
	"strings"
	"testing"
)

// FuzzRoutingInput feeds the parsers of what a public client controls —
// the Host header and the intercepted API paths — arbitrary text.
func FuzzRoutingInput(f *testing.F) {
	f.Add("stripe-dev.localhost:8080", "/api/v1/me/tunnels/stripe-dev/requests/req_01JABCDEFGHJKMNPQRSTVWXYZ/replay")
	f.Add("[::1]:80", "/api/v1/me/requests/req_01J/export")
	f.Add("", "/api/v1/me/tunnels//requests//replay")
	f.Add("a.b.c.d.e", "/api/v1/me/tunnels/x/requests/y/replay/extra")
	f.Fuzz(func(t *testing.T, host, path string) {
		// A well-formed host:port loses its port; anything else just must
		// not panic (it then matches no tunnel: 404).
		if name, port, ok := strings.Cut(host, ":"); ok && name != "" && !strings.ContainsAny(name, "[]:") && port != "" && strings.Trim(port, "0123456789") == "" {
			if h := hostOnly(host); h != strings.TrimSuffix(strings.ToLower(name), ".") {
				t.Fatalf("hostOnly(%q) = %q", host, h)
			}
		}
		if sub, id, ok := replayParams(path); ok && (sub == "" || id == "" || strings.Contains(sub, "/") || strings.Contains(id, "/")) {
			t.Fatalf("replayParams(%q) = %q, %q", path, sub, id)
		}
		if id, ok := exportParams(path); ok && (id == "" || strings.Contains(id, "/")) {
			t.Fatalf("exportParams(%q) = %q", path, id)
		}
	})
}
