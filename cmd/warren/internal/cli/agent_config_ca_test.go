package cli

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadAgentFile_CA(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ text, want string }{
		"YAMLRelative": {"ca: certs/ca.pem # the private CA\ntunnels:\n  - local: 3000\n", filepath.Join(dir, "certs", "ca.pem")},
		"JSONAbsolute": {`{"ca": "/etc/warren/ca.pem", "tunnels": [{"local": "3000"}]}`, "/etc/warren/ca.pem"},
		"JSONRelative": {`{"ca": "ca.pem", "tunnels": [{"local": "3000"}]}`, filepath.Join(dir, "ca.pem")},
		"None":         {"tunnels:\n  - local: 3000\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".yml")
			os.WriteFile(p, []byte(c.text), 0o600)
			f, err := loadAgentFile(p)
			if err != nil || f.CA != c.want || len(f.Specs) != 1 {
				t.Fatalf("loadAgentFile = %+v, %v; want ca %q and one tunnel", f, err, c.want)
			}
		})
	}
	t.Run("ErrCAInsideATunnel", func(t *testing.T) {
		p := filepath.Join(dir, "nested.yml")
		os.WriteFile(p, []byte("tunnels:\n  - local: 3000\n    ca: x.pem\n"), 0o600)
		if _, err := loadAgentFile(p); err == nil {
			t.Fatal("accepted ca as a tunnel's key")
		}
	})
}
