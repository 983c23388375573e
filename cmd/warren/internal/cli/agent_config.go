package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"warren/domain"
	"warren/edge/agent"
)

// tunnelsFile is the JSON form of `warren start --config`:
//
//	{"ca": "ca.pem", "tunnels": [{"proto": "http", "local": "3000", "subdomain": "hooks"}]}
type tunnelsFile struct {
	CA      string `json:"ca"`
	Tunnels []struct {
		Proto     string `json:"proto"`
		Local     string `json:"local"`
		Subdomain string `json:"subdomain"`
		Hostname  string `json:"hostname"`
	} `json:"tunnels"`
}

// agentFile is what `warren start --config` reads: the tunnels, and the
// CA file to trust (ca; relative to the config file's directory), which
// --ca and WARREN_CA override.
type agentFile struct {
	Specs []agent.Spec
	CA    string
}

// loadTunnelsFile is loadAgentFile's tunnels.
func loadTunnelsFile(path string) ([]agent.Spec, error) {
	f, err := loadAgentFile(path)
	return f.Specs, err
}

// loadAgentFile reads JSON, or the simple YAML form:
//
//	ca: private-ca.pem   # optional
//	tunnels:
//	  - proto: http
//	    local: 3000
//	    subdomain: hooks
//	  - proto: tcp
//	    local: 5432
func loadAgentFile(path string) (agentFile, error) {
	var af agentFile
	b, err := os.ReadFile(path)
	if err != nil {
		return af, err
	}
	var specs []agent.Spec
	if strings.HasPrefix(strings.TrimSpace(string(b)), "{") {
		var f tunnelsFile
		if err := json.Unmarshal(b, &f); err != nil {
			return af, fmt.Errorf("%s: %w", path, err)
		}
		for _, t := range f.Tunnels {
			specs = append(specs, agent.Spec{Proto: t.Proto, Local: t.Local, Subdomain: t.Subdomain, Hostname: t.Hostname})
		}
		af.CA = f.CA
	} else if specs, af.CA, err = parseSimpleYAML(path, string(b)); err != nil {
		return af, err
	}
	if af.CA != "" && !filepath.IsAbs(af.CA) {
		af.CA = filepath.Join(filepath.Dir(path), af.CA)
	}
	if len(specs) == 0 {
		return af, fmt.Errorf("%s lists no tunnels", path)
	}
	for i, s := range specs {
		if s.Proto == "" {
			specs[i].Proto = domain.ProtoHTTP
		}
		if s.Local == "" {
			return af, fmt.Errorf("%s: tunnel %d has no local address", path, i+1)
		}
		if specs[i].Proto != domain.ProtoHTTP && specs[i].Proto != domain.ProtoTCP {
			return af, fmt.Errorf("%s: tunnel %d: proto %q is neither http nor tcp", path, i+1, s.Proto)
		}
	}
	af.Specs = specs
	return af, nil
}

func parseSimpleYAML(path, text string) (specs []agent.Spec, ca string, err error) {
	for n, line := range strings.Split(text, "\n") {
		topLevel := line != "" && line[0] != ' ' && line[0] != '\t'
		line = strings.TrimSpace(line)
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") || line == "tunnels:" {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "-"); ok {
			specs = append(specs, agent.Spec{})
			line = strings.TrimSpace(rest)
			if line == "" {
				continue
			}
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && topLevel && strings.TrimSpace(k) == "ca" {
			ca = strings.Trim(strings.TrimSpace(v), `"'`)
			continue
		}
		if !ok || len(specs) == 0 {
			return nil, "", fmt.Errorf("%s:%d: expected `- key: value` under tunnels:", path, n+1)
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		s := &specs[len(specs)-1]
		switch strings.TrimSpace(k) {
		case "proto":
			s.Proto = v
		case "local", "addr", "port":
			s.Local = v
		case "subdomain":
			s.Subdomain = v
		case "hostname":
			s.Hostname = v
		default:
			return nil, "", fmt.Errorf("%s:%d: unknown key %q (proto, local, subdomain, hostname)", path, n+1, k)
		}
	}
	return specs, ca, nil
}
