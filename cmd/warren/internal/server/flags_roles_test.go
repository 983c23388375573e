package server

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"warren/cmd/warren/internal/command"
)

func TestRoleFlags_Settings(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	seedFile := filepath.Join(t.TempDir(), "control.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	edge := []string{"--role", "edge", "--nats-url", "nats://10.0.0.1:4222", "--control-url", "https://warren.example.com", "--edge-token", "ak_x"}
	for _, c := range []struct {
		name    string
		env     map[string]string
		args    []string
		want    func(RoleSettings) bool
		errFlag string // the flag the exit-2 message must name
	}{
		{name: "DefaultAll", want: func(s RoleSettings) bool { return s.role() == RoleAll }},
		{name: "ControlEmbedded", args: []string{"--role", "control"},
			want: func(s RoleSettings) bool { return s.NATSHost == "127.0.0.1" && s.NATSPort == 4222 && s.NATSURL == "" }},
		{name: "ControlExternal", args: []string{"--role", "control", "--nats-url", "nats://nats.internal:4222"},
			want: func(s RoleSettings) bool { return s.NATSURL == "nats://nats.internal:4222" }},
		{name: "ControlNKeys", args: []string{"--role", "control", "--nats-listen", "0.0.0.0:4222", "--nats-nkey-seed", seedFile, "--nats-allow-nkeys", pub},
			want: func(s RoleSettings) bool { return len(s.AllowNKeys) == 2 && s.AllowNKeys[1] == pub }},
		{name: "Edge", args: edge, want: func(s RoleSettings) bool { return s.Role == RoleEdge && s.ControlURL == "https://warren.example.com" }},
		{name: "EnvTwins", env: map[string]string{"WARREN_ROLE": "edge", "WARREN_NATS_URL": "nats://n:4222", "WARREN_CONTROL_URL": "http://c", "WARREN_EDGE_TOKEN": "ak_y"},
			want: func(s RoleSettings) bool {
				return s.Role == RoleEdge && s.NATSURL == "nats://n:4222" && s.EdgeToken == "ak_y"
			}},
		{name: "ErrEdgeWithoutNATSURL", args: []string{"--role", "edge", "--control-url", "http://c", "--edge-token", "ak_x"}, errFlag: "--nats-url"},
		{name: "ErrEdgeWithoutControlURL", args: []string{"--role", "edge", "--nats-url", "nats://n:4222", "--edge-token", "ak_x"}, errFlag: "--control-url"},
		{name: "ErrEdgeWithoutToken", args: []string{"--role", "edge", "--nats-url", "nats://n:4222", "--control-url", "http://c"}, errFlag: "--edge-token"},
		{name: "ErrUnknownRole", args: []string{"--role", "relay"}, errFlag: "--role"},
		{name: "ErrNATSURLWithAll", args: []string{"--nats-url", "nats://n:4222"}, errFlag: "--nats-url"},
		{name: "ErrSeedAndCreds", args: []string{"--role", "control", "--nats-nkey-seed", seedFile, "--nats-creds", "x.creds"}, errFlag: "--nats-creds"},
		{name: "ErrBadNATSURL", args: []string{"--role", "control", "--nats-url", "http://n:4222"}, errFlag: "--nats-url"},
		{name: "ErrAllowWithoutSeed", args: []string{"--role", "control", "--nats-allow-nkeys", pub}, errFlag: "--nats-nkey-seed"},
		{name: "ErrAllowNotAKey", args: []string{"--role", "control", "--nats-nkey-seed", seedFile, "--nats-allow-nkeys", "nope"}, errFlag: "--nats-allow-nkeys"},
		{name: "ErrSeedNotASeed", args: []string{"--role", "control", "--nats-nkey-seed", filepath.Join(t.TempDir(), "missing")}, errFlag: "--nats-nkey-seed"},
		{name: "ErrControlURLOnControl", args: []string{"--role", "control", "--control-url", "http://c"}, errFlag: "--control-url"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &command.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return c.env[k] }}
			fs := command.NewFlagSet(e, "serve", "")
			f := addRoleFlags(e, fs)
			if err := command.ParseFlags(fs, c.args); err != nil {
				t.Fatal(err)
			}
			s, err := f.settings()
			if c.errFlag != "" {
				var ee *command.ExitError
				if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(err.Error(), c.errFlag) {
					t.Fatalf("error %v; want exit 2 naming %s", err, c.errFlag)
				}
				return
			}
			if err != nil || !c.want(s) {
				t.Fatalf("%+v, %v", s, err)
			}
		})
	}
}
