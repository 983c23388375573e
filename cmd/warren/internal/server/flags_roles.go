package server

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/nats-io/nkeys"

	"warren/cmd/warren/internal/command"
)

// roleFlags are serve's scale-out flags (docs/scale-out.md): the role, and
// how the node reaches NATS and, for an edge, the control plane.
type roleFlags struct {
	role, natsURL, natsListen, seed, creds, allow, controlURL, edgeToken *string
}

// addRoleFlags registers --role and the NATS flags, each with its
// WARREN_* environment twin.
func addRoleFlags(e *command.Env, fs *flag.FlagSet) *roleFlags {
	env := func(name, def string) string { return command.EnvDefault(e, name, def) }
	return &roleFlags{
		role: fs.String("role", env("WARREN_ROLE", RoleAll),
			`what this process is: "all" (one process, no NATS), "control" (the log, API and dashboard; NATS JetStream embedded unless --nats-url) or "edge" (agents and public traffic, no log; needs --nats-url and --control-url) (env WARREN_ROLE)`),
		natsURL: fs.String("nats-url", env("WARREN_NATS_URL", ""),
			"NATS server to use, nats://host:port (edge: required; control: instead of the embedded server) (env WARREN_NATS_URL)"),
		natsListen: fs.String("nats-listen", env("WARREN_NATS_LISTEN", "127.0.0.1:4222"),
			"control without --nats-url: where the embedded NATS server listens for edges; beyond loopback it needs --nats-allow-nkeys (env WARREN_NATS_LISTEN)"),
		seed: fs.String("nats-nkey-seed", env("WARREN_NATS_NKEY_SEED", ""),
			"file holding this node's NATS nkey seed (SU...), to authenticate to NATS (env WARREN_NATS_NKEY_SEED)"),
		creds: fs.String("nats-creds", env("WARREN_NATS_CREDS", ""),
			"NATS credentials file (an external server with accounts); instead of --nats-nkey-seed (env WARREN_NATS_CREDS)"),
		allow: fs.String("nats-allow-nkeys", env("WARREN_NATS_ALLOW_NKEYS", ""),
			"control with the embedded server: comma-separated public user nkeys (U...) of the edges allowed to connect; the control plane's own, from --nats-nkey-seed, is added (env WARREN_NATS_ALLOW_NKEYS)"),
		controlURL: fs.String("control-url", env("WARREN_CONTROL_URL", ""),
			"edge: base URL of the control plane's API, e.g. https://warren.example.com (env WARREN_CONTROL_URL)"),
		edgeToken: fs.String("edge-token", env("WARREN_EDGE_TOKEN", ""),
			"edge: the operator API key (ak_...) the edge presents to the control plane (env WARREN_EDGE_TOKEN)"),
	}
}

// settings checks the flags once parsed. A bad combination is exit 2 with
// a message naming the flag.
func (f *roleFlags) settings() (RoleSettings, error) {
	bad := func(format string, args ...any) (RoleSettings, error) {
		return RoleSettings{}, &command.ExitError{Code: 2, Err: fmt.Errorf(format, args...)}
	}
	s := RoleSettings{
		Role: strings.ToLower(strings.TrimSpace(*f.role)), NATSURL: *f.natsURL,
		NKeySeedFile: *f.seed, CredsFile: *f.creds, ControlURL: strings.TrimSuffix(*f.controlURL, "/"), EdgeToken: *f.edgeToken,
	}
	switch s.Role {
	case RoleAll:
		for name, v := range map[string]string{"--nats-url": s.NATSURL, "--nats-nkey-seed": s.NKeySeedFile, "--nats-creds": s.CredsFile, "--nats-allow-nkeys": *f.allow, "--control-url": s.ControlURL, "--edge-token": s.EdgeToken} {
			if v != "" {
				return bad("%s needs --role control or edge (--role all runs one process without NATS)", name)
			}
		}
		return s, nil
	case RoleControl, RoleEdge:
	default:
		return bad("--role %q is none of all, control, edge", *f.role)
	}
	if s.NKeySeedFile != "" && s.CredsFile != "" {
		return bad("--nats-nkey-seed and --nats-creds are two ways to authenticate: give one")
	}
	if s.NATSURL != "" {
		u, err := url.Parse(s.NATSURL)
		if err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "tls") {
			return bad("--nats-url %q is not nats://host:port or tls://host:port", s.NATSURL)
		}
	}
	if s.NKeySeedFile != "" {
		pub, err := seedPublicKey(s.NKeySeedFile)
		if err != nil {
			return bad("--nats-nkey-seed: %v", err)
		}
		s.ownNKey = pub
	}
	if s.Role == RoleEdge {
		if s.NATSURL == "" {
			return bad("--role edge needs --nats-url (the control plane's NATS)")
		}
		if s.ControlURL == "" {
			return bad("--role edge needs --control-url (the control plane's API)")
		}
		if u, err := url.Parse(s.ControlURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return bad("--control-url %q is not an http(s) URL", s.ControlURL)
		}
		if s.EdgeToken == "" {
			return bad("--role edge needs --edge-token (an operator API key of the control plane)")
		}
		if *f.allow != "" {
			return bad("--nats-allow-nkeys is for the control plane's embedded server, not an edge")
		}
		return s, nil
	}
	// control
	if s.ControlURL != "" || s.EdgeToken != "" {
		return bad("--control-url and --edge-token are for --role edge")
	}
	if s.NATSURL != "" {
		if *f.allow != "" {
			return bad("--nats-allow-nkeys configures the embedded server; with --nats-url, your NATS server decides who connects")
		}
		return s, nil
	}
	host, port, err := splitHostPort(*f.natsListen)
	if err != nil {
		return bad("--nats-listen %q is not host:port", *f.natsListen)
	}
	s.NATSHost, s.NATSPort = host, port
	for _, k := range strings.Split(*f.allow, ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		if !nkeys.IsValidPublicUserKey(k) {
			return bad("--nats-allow-nkeys: %q is not a public user nkey (U...)", k)
		}
		s.AllowNKeys = append(s.AllowNKeys, k)
	}
	if len(s.AllowNKeys) > 0 && s.ownNKey == "" {
		return bad("--nats-allow-nkeys needs --nats-nkey-seed too: with nkeys required, the control plane must present one of its own")
	}
	if s.ownNKey != "" {
		s.AllowNKeys = append(s.AllowNKeys, s.ownNKey)
	}
	return s, nil
}

// seedPublicKey reads an nkey seed file and returns its public user key.
func seedPublicKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(b))))
	if err != nil {
		return "", fmt.Errorf("%s holds no nkey seed: %w", path, err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return "", err
	}
	if !nkeys.IsValidPublicUserKey(pub) {
		return "", errors.New(path + " holds a seed that is not a user's (SU...)")
	}
	return pub, nil
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, errors.New("no port")
	}
	p, err := strconv.Atoi(addr[i+1:])
	if err != nil || p < 0 || p > 65535 {
		return "", 0, errors.New("bad port")
	}
	return strings.Trim(addr[:i], "[]"), p, nil
}
