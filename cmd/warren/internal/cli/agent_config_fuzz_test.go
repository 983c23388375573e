package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadTunnelsFile feeds `warren start --config` arbitrary files (JSON or
// the simple YAML form): a clear error or valid specs, never a panic.
func FuzzLoadTunnelsFile(f *testing.F) {
	f.Add("tunnels:\n  - proto: http\n    local: 3000\n    subdomain: web\n  - proto: tcp\n    local: 22\n")
	f.Add(`{"tunnels":[{"proto":"http","local":"localhost:3000","subdomain":"api-dev"}]}`)
	f.Add("- proto: http # comment\n  local: 8080\n")
	f.Add("tunnels:\n  -\n    proto:\n")
	f.Add(`[{"proto":"udp"}]`)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(dir, "tunnels.yml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Skip(err)
		}
		specs, err := loadTunnelsFile(path)
		if err != nil {
			return
		}
		for i, s := range specs {
			if s.Proto != "http" && s.Proto != "tcp" {
				t.Fatalf("spec %d accepted with proto %q", i, s.Proto)
			}
		}
	})
}
