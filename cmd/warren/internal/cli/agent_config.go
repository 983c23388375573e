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
		// As `warren http`'s --upstream-insecure and --host-header.
		UpstreamInsecure bool   `json:"upstream_insecure"`
		HostHeader       string `json:"host_header"`
		// As --verify-webhook (issue 17) and --verify-webhook-enforce.
		VerifyWebhook        []string `json:"verify_webhook"`
		VerifyWebhookEnforce bool     `json:"verify_webhook_enforce"`
	} `json:"tunnels"`
}

// agentFile is what `warren start --config` reads: the tunnels, and the
// CA file to trust (ca; relative to the config file's directory), which
// --ca and WARREN_CA override.
type agentFile struct {
	Specs []agent.Spec
	// Upstreams are the specs' --upstream-insecure and --host-header, by
	// the same index (what agent.Spec does not carry).
	Upstreams []upstreamOpts
	CA        string
}

// upstreamOpts are an HTTP tunnel's `upstream_insecure` and `host_header`.
type upstreamOpts struct {
	insecure   bool
	hostHeader string
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
//	    local: 3000      # or https://127.0.0.1:8443
//	    subdomain: hooks
//	    host_header: rewrite       # optional, as --host-header
//	    upstream_insecure: true    # optional, as --upstream-insecure
//	  - proto: tcp
//	    local: 5432
func loadAgentFile(path string) (agentFile, error) {
	var af agentFile
	b, err := os.ReadFile(path)
	if err != nil {
		return af, err
	}
	var specs []agent.Spec
	var ups []upstreamOpts
	if strings.HasPrefix(strings.TrimSpace(string(b)), "{") {
		var f tunnelsFile
		if err := json.Unmarshal(b, &f); err != nil {
			return af, fmt.Errorf("%s: %w", path, err)
		}
		for _, t := range f.Tunnels {
			specs = append(specs, agent.Spec{Proto: t.Proto, Local: t.Local, Subdomain: t.Subdomain, Hostname: t.Hostname,
				Webhooks: t.VerifyWebhook, WebhookEnforce: t.VerifyWebhookEnforce})
			ups = append(ups, upstreamOpts{t.UpstreamInsecure, t.HostHeader})
		}
		af.CA = f.CA
	} else if specs, ups, af.CA, err = parseSimpleYAML(path, string(b)); err != nil {
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
		if err := checkWebhookSpecs(s.Webhooks, s.WebhookEnforce); err != nil { // flags_webhook.go
			return af, fmt.Errorf("%s: tunnel %d: %w", path, i+1, err)
		}
	}
	af.Specs, af.Upstreams = specs, ups
	return af, nil
}

func parseSimpleYAML(path, text string) (specs []agent.Spec, ups []upstreamOpts, ca string, err error) {
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
			ups = append(ups, upstreamOpts{})
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
			return nil, nil, "", fmt.Errorf("%s:%d: expected `- key: value` under tunnels:", path, n+1)
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
		case "upstream_insecure":
			ups[len(ups)-1].insecure = v == "true"
		case "host_header":
			ups[len(ups)-1].hostHeader = v
		case "verify_webhook": // repeatable, as the flag
			s.Webhooks = append(s.Webhooks, v)
		case "verify_webhook_enforce":
			s.WebhookEnforce = v == "true"
		default:
			return nil, nil, "", fmt.Errorf("%s:%d: unknown key %q (proto, local, subdomain, hostname, upstream_insecure, host_header, verify_webhook, verify_webhook_enforce)", path, n+1, k)
		}
	}
	return specs, ups, ca, nil
}
