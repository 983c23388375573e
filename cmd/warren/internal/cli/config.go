package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/httpapi/client"
)

// cliConfig is what `warren login` saves: where the server is and the key.
type cliConfig struct {
	Server string `json:"server"`
	Key    string `json:"key"`
	// CA is a PEM file of private CA certificates the server's is checked
	// against (login --ca); Insecure allows plain http to a host that is
	// not loopback (login --insecure). See connFlags.
	CA       string `json:"ca,omitempty"`
	Insecure bool   `json:"insecure,omitempty"`
}

// configPath is <user config dir>/warren/config.json, computed from e's
// environment (so tests point HOME or XDG_CONFIG_HOME at a temp dir);
// WARREN_CONFIG names another file.
func configPath(e *command.Env) (string, error) {
	if p := e.Getenv("WARREN_CONFIG"); p != "" {
		return p, nil
	}
	var dir string
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "plan9":
		d, err := os.UserConfigDir()
		if err != nil {
			return "", err
		}
		dir = d
	default:
		dir = e.Getenv("XDG_CONFIG_HOME")
		if dir == "" || !filepath.IsAbs(dir) {
			home := e.Getenv("HOME")
			if home == "" {
				return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME is set")
			}
			dir = filepath.Join(home, ".config")
		}
	}
	return filepath.Join(dir, "warren", "config.json"), nil
}

// loadConfig reads the saved config; a missing file is an empty config.
func loadConfig(e *command.Env) (cliConfig, error) {
	var c cliConfig
	p, err := configPath(e)
	if err != nil {
		return c, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("reading %s: %w", p, err)
	}
	return c, nil
}

// saveConfig writes the config 0600 (it holds a secret) in a 0700 directory,
// through a temp file and a rename so a crash never leaves half a file.
func saveConfig(e *command.Env, c cliConfig) (string, error) {
	p, err := configPath(e)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".config-*.json")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return p, os.Rename(tmp.Name(), p)
}

// ResolveConfig is the saved config with WARREN_SERVER, WARREN_API_KEY,
// WARREN_CA and WARREN_INSECURE taking precedence.
func ResolveConfig(e *command.Env) (cliConfig, error) {
	return resolveFor(e, command.EnvDefault(e, "WARREN_SERVER", ""))
}

// resolveFor is ResolveConfig for server ("": the saved one). Another
// server than the saved one drops the saved CA and insecure: they were
// accepted for the saved server only.
func resolveFor(e *command.Env, server string) (cliConfig, error) {
	c, err := loadConfig(e)
	if err != nil {
		return c, err
	}
	if server != "" {
		if strings.TrimRight(server, "/") != c.Server {
			c.CA, c.Insecure = "", false
		}
		c.Server = server
	}
	if v := command.EnvDefault(e, "WARREN_API_KEY", ""); v != "" {
		c.Key = v
	}
	return c, envConfig(e, &c)
}

// apiClient builds a client from the resolved config and cf (nil: a
// command without --ca/--insecure), checked by connFlags.resolve. stream
// selects an http.Client without an overall timeout, for SSE.
func apiClient(e *command.Env, cf *connFlags, stream bool) (*client.Client, error) {
	c, err := cf.resolve(e)
	if err != nil {
		return nil, err
	}
	timeout := 30 * time.Second
	if stream {
		timeout = 0
	}
	return client.New(c.Server, c.Key, c.httpClient(timeout))
}
