package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/warrentest"
)

// testEnv is an in-process env reading vars from a map.
func testEnv(vars map[string]string) (*command.Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &command.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }}, &out, &errb
}

func TestCLI_Config(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the config path rules tested here are Linux's")
	}
	home := t.TempDir()
	t.Run("PathFromHOME", func(t *testing.T) {
		e, _, _ := testEnv(map[string]string{"HOME": home})
		p, err := configPath(e)
		if err != nil || p != filepath.Join(home, ".config", "warren", "config.json") {
			t.Fatalf("configPath = %q, %v", p, err)
		}
	})
	t.Run("PathFromXDG", func(t *testing.T) {
		e, _, _ := testEnv(map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "xdg")})
		p, err := configPath(e)
		if err != nil || p != filepath.Join(home, "xdg", "warren", "config.json") {
			t.Fatalf("configPath = %q, %v", p, err)
		}
	})
	t.Run("SavedFileIs0600", func(t *testing.T) {
		e, _, _ := testEnv(map[string]string{"HOME": home})
		p, err := saveConfig(e, cliConfig{Server: "http://localhost:8080", Key: "ak_x"})
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("config mode = %v, want 0600", fi.Mode().Perm())
		}
		di, _ := os.Stat(filepath.Dir(p))
		if di.Mode().Perm() != 0o700 {
			t.Fatalf("config dir mode = %v, want 0700", di.Mode().Perm())
		}
		c, err := loadConfig(e)
		if err != nil || c != (cliConfig{Server: "http://localhost:8080", Key: "ak_x"}) {
			t.Fatalf("loadConfig = %+v, %v", c, err)
		}
	})
	t.Run("EnvOverrides", func(t *testing.T) {
		e, _, _ := testEnv(map[string]string{"HOME": home, "WARREN_SERVER": "http://127.0.0.1:9", "WARREN_API_KEY": "ak_env"})
		c, err := ResolveConfig(e)
		if err != nil || c != (cliConfig{Server: "http://127.0.0.1:9", Key: "ak_env"}) {
			t.Fatalf("resolveConfig = %+v, %v", c, err)
		}
	})
	t.Run("ErrNotLoggedIn", func(t *testing.T) {
		r := warrentest.Run(t, []string{"HOME=" + t.TempDir()}, "keys")
		if r.Code != 1 || !strings.Contains(r.Stderr, "not logged in") {
			t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		for _, args := range [][]string{{"keys", "frob"}, {"domains", "add"}, {"keys", "revoke", "a", "b"}, {"usage", "--from", "2026-01-01"}} {
			r := warrentest.Run(t, []string{"HOME=" + t.TempDir(), "WARREN_SERVER=http://127.0.0.1:9", "WARREN_API_KEY=ak_x"}, args...)
			if r.Code != 2 {
				t.Errorf("warren %v: exit %d, want 2; stderr %q", args, r.Code, r.Stderr)
			}
		}
	})
}

func TestCLI_ParseArgs(t *testing.T) {
	e, _, _ := testEnv(nil)
	fs := command.NewFlagSet(e, "x", "x")
	asJSON := fs.Bool("json", false, "")
	desc := fs.String("description", "", "")
	pos, err := parseArgs(fs, []string{"example.com", "--json", "--description", "d e", "more"})
	if err != nil || !*asJSON || *desc != "d e" || strings.Join(pos, "|") != "example.com|more" {
		t.Fatalf("parseArgs = %v, %v (json %v, desc %q)", pos, err, *asJSON, *desc)
	}
}
