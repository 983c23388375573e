package cli

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
	"warren/events"
	"warren/projections"
)

func TestCLI_Login(t *testing.T) {
	s := startAPIServer(t, "")
	t.Run("ErrBadKey", func(t *testing.T) {
		env := warrentest.CLIEnv(t)
		last := "A"
		if strings.HasSuffix(s.key, "A") {
			last = "B"
		}
		typo := s.key[:len(s.key)-1] + last // the checksum no longer matches
		warrentest.CLIFails(t, env, "unauthorized", "login", "--server", s.URL, "--key", typo)
		warrentest.CLIFails(t, env, "not logged in", "keys")
	})
	t.Run("ErrNoServer", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		warrentest.CLIFails(t, warrentest.CLIEnv(t), "connection refused", "login", "--server", "http://"+addr, "--key", s.key)
	})
	t.Run("OK", func(t *testing.T) {
		env := warrentest.CLIEnv(t)
		out := warrentest.CLIOK(t, env, "login", "--server", s.URL, "--key", s.key)
		if !strings.Contains(out, "Logged in to "+s.URL+" as operator@localhost") {
			t.Fatalf("login said %q", out)
		}
		p := filepath.Join(strings.TrimPrefix(env[1], "XDG_CONFIG_HOME="), "warren", "config.json")
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("config %s: %v, %v", p, fi, err)
		}
		b, _ := os.ReadFile(p)
		var c cliConfig
		if json.Unmarshal(b, &c) != nil || c.Server != s.URL || c.Key != s.key {
			t.Fatalf("config = %s", b)
		}
		// The key may come from stdin.
		stdinEnv := warrentest.CLIEnv(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, warrentest.Bin(), "login", "--server", s.URL, "--key", "-")
		cmd.Env = warrentest.ChildEnv(stdinEnv...)
		cmd.Stdin = strings.NewReader(s.key + "\n")
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Logged in") {
			t.Fatalf("login --key -: %v\n%s", err, out)
		}
		// The saved config is used…
		warrentest.CLIOK(t, env, "keys")
		// …and the environment overrides it.
		warrentest.CLIFails(t, append(env, "WARREN_API_KEY=ak_0000000000000000000000000000"), "unauthorized", "keys")
	})
}

func TestCLI_Keys(t *testing.T) {
	s := startAPIServer(t, "")
	env := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s.URL, "WARREN_API_KEY="+s.key)

	out := warrentest.CLIOK(t, env, "keys", "create", "--description", "ci runner")
	secret := warrentest.KeyRe.FindString(out)
	if secret == "" || domain.CheckKeySecret(secret) != nil {
		t.Fatalf("keys create printed no valid secret: %q", out)
	}
	var created struct{ ID, Key string }
	warrentest.CLIJSON(t, env, &created, "keys", "create")
	if !strings.HasPrefix(created.ID, "key_") || domain.CheckKeySecret(created.Key) != nil {
		t.Fatalf("created = %+v", created)
	}

	table := warrentest.CLIOK(t, env, "keys")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(table, "ci runner") || strings.Contains(table, secret) {
		t.Fatalf("keys table:\n%s", table)
	}
	// Columns are aligned: every row's PREFIX starts where the header's does.
	col := strings.Index(lines[0], "PREFIX")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[col:], "ak_") {
			t.Fatalf("misaligned row %q (PREFIX at %d)", l, col)
		}
	}

	newEnv := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s.URL, "WARREN_API_KEY="+created.Key)
	warrentest.CLIOK(t, newEnv, "keys", "revoke", created.ID)
	warrentest.CLIFails(t, newEnv, "unauthorized", "keys")
	warrentest.CLIFails(t, env, "not found", "keys", "revoke", "key_01ARZ3NDEKTSV4RRFFQ69G5FAV")

	var ks []struct {
		ID        string
		RevokedAt *time.Time
	}
	warrentest.CLIJSON(t, env, &ks, "keys")
	if len(ks) != 3 || ks[0].ID != created.ID || ks[0].RevokedAt == nil || ks[1].RevokedAt != nil {
		t.Fatalf("keys = %+v", ks)
	}
	// Revoke all but the operator's first key, then that one is the last.
	warrentest.CLIOK(t, env, "keys", "revoke", ks[1].ID)
	warrentest.CLIFails(t, env, "last active key", "keys", "revoke", ks[2].ID)
}

func TestCLI_DomainsReservationsUsage(t *testing.T) {
	// A UDP port nobody listens on: lookups fail at once (port unreachable).
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadDNS := pc.LocalAddr().String()
	pc.Close()
	s := startAPIServer(t, deadDNS)
	env := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s.URL, "WARREN_API_KEY="+s.key)

	t.Run("Domains", func(t *testing.T) {
		out := warrentest.CLIOK(t, env, "domains", "add", "app.example.com")
		if !strings.Contains(out, "_warren-challenge.app.example.com") || !strings.Contains(out, "warren-verify=") {
			t.Fatalf("domains add said:\n%s", out)
		}
		var ds []struct{ ID, Name, State string }
		warrentest.CLIJSON(t, env, &ds, "domains")
		if len(ds) != 1 || ds[0].Name != "app.example.com" || ds[0].State != "pending" {
			t.Fatalf("domains = %+v", ds)
		}
		warrentest.CLIFails(t, env, "app.example.com is not verified (failed)", "domains", "verify", ds[0].ID)
		if out := warrentest.CLIOK(t, env, "domains"); !strings.Contains(out, "failed") || !strings.Contains(out, "DNS lookup") {
			t.Fatalf("domains table after a failed check:\n%s", out)
		}
		warrentest.CLIFails(t, env, "already on your account", "domains", "add", "app.example.com")
		warrentest.CLIFails(t, env, "not found", "domains", "rm", "dom_01ARZ3NDEKTSV4RRFFQ69G5FAV")
		warrentest.CLIOK(t, env, "domains", "rm", ds[0].ID)
		if out := warrentest.CLIOK(t, env, "domains"); !strings.Contains(out, "No custom domains.") {
			t.Fatalf("domains after rm:\n%s", out)
		}
	})
	t.Run("Reservations", func(t *testing.T) {
		warrentest.CLIOK(t, env, "reservations", "add", "my-app")
		warrentest.CLIFails(t, env, "", "reservations", "add", "Bad_Name")
		if out := warrentest.CLIOK(t, env, "reservations"); !strings.Contains(out, "KIND") || !strings.Contains(out, "my-app") { // KIND/NAME: subdomains and TCP ports
			t.Fatalf("reservations:\n%s", out)
		}
		warrentest.CLIOK(t, env, "reservations", "rm", "my-app")
		var rs []any
		warrentest.CLIJSON(t, env, &rs, "reservations")
		if len(rs) != 0 {
			t.Fatalf("reservations after rm = %v", rs)
		}
	})
	t.Run("Usage", func(t *testing.T) {
		var u map[string]any
		warrentest.CLIJSON(t, env, &u, "usage")
		if u["plan"] != "pro" || u["limits"].(map[string]any)["tunnels"] != nil {
			t.Fatalf("usage = %v", u)
		}
		if out := warrentest.CLIOK(t, env, "usage"); !strings.Contains(out, "Plan: pro") || !strings.Contains(out, "unlimited") {
			t.Fatalf("usage:\n%s", out)
		}
		var days []struct {
			Date     string
			Requests int64
		}
		warrentest.CLIJSON(t, env, &days, "usage", "--history", "--from", "2026-01-30", "--to", "2026-02-02")
		if len(days) != 4 || days[0].Date != "2026-01-30" || days[3].Date != "2026-02-02" {
			t.Fatalf("history = %+v", days)
		}
		warrentest.CLIFails(t, env, "after", "usage", "--history", "--from", "2026-02-02", "--to", "2026-01-30")
	})
	t.Run("Tunnels", func(t *testing.T) {
		if out := warrentest.CLIOK(t, env, "tunnels"); !strings.Contains(out, "No live tunnels.") {
			t.Fatalf("tunnels:\n%s", out)
		}
		var me struct{ ID string }
		warrentest.CLIJSON(t, env, &me, "login", "--server", s.URL, "--key", s.key)
		if _, err := s.Log.Execute(context.Background(), projections.OpenTunnelCmd(projections.OpenTunnel{
			AccountID: me.ID, SessionID: "ses_1", Proto: domain.ProtoHTTP, Subdomain: "my-app", RemoteAddr: "203.0.113.7",
			URL: func(sub string, _ int) string { return "http://" + sub + ".localhost" }})); err != nil {
			t.Fatal(err)
		}
		out := warrentest.CLIOK(t, env, "tunnels")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[1], "tun_") || !strings.Contains(lines[1], "http://my-app.localhost") ||
			!strings.Contains(lines[1], "203.0.113.7") {
			t.Fatalf("tunnels:\n%s", out)
		}
		var ts []struct{ Subdomain, PublicURL string }
		warrentest.CLIJSON(t, env, &ts, "tunnels")
		if len(ts) != 1 || ts[0].Subdomain != "my-app" || ts[0].PublicURL != "http://my-app.localhost" {
			t.Fatalf("tunnels --json = %+v", ts)
		}
		warrentest.CLIOK(t, env, "tunnels", "close", "my-app")
		if out := warrentest.CLIOK(t, env, "tunnels"); !strings.Contains(out, "No live tunnels.") {
			t.Fatalf("tunnels after close:\n%s", out)
		}
		warrentest.CLIFails(t, env, `no live tunnel "my-app"`, "tunnels", "close", "my-app")
	})
}

func TestCLI_Requests(t *testing.T) {
	s := startAPIServer(t, "")
	env := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s.URL, "WARREN_API_KEY="+s.key)
	var me struct{ ID string }
	warrentest.CLIJSON(t, env, &me, "login", "--server", s.URL, "--key", s.key)
	capture := func(path string) {
		t.Helper()
		if _, err := s.Log.Append(context.Background(), events.Draft{Type: events.RequestCaptured, Account: me.ID, Data: domain.CapturedRequest{
			Tunnel: "app", Kind: domain.KindHTTP, Method: "POST", Path: path, Status: 200, DurationMs: 12.5,
			BytesIn: 10, BytesOut: 20, IP: "127.0.0.1", Proto: "HTTP/1.1", Host: "app.localhost"}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		capture("/hook/" + string(rune('a'+i)))
	}

	t.Run("List", func(t *testing.T) {
		out := warrentest.CLIOK(t, env, "requests", "--tunnel", "app")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 4 || !strings.Contains(lines[1], "/hook/c") || !strings.Contains(lines[3], "/hook/a") {
			t.Fatalf("requests (newest first):\n%s", out)
		}
		var rs []struct{ ID, Path string }
		warrentest.CLIJSON(t, env, &rs, "requests", "--limit", "2")
		if len(rs) != 2 || rs[0].Path != "/hook/c" || !strings.HasPrefix(rs[0].ID, "req_") {
			t.Fatalf("requests --json = %+v", rs)
		}
	})
	t.Run("Follow", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r := startWarren(t, ctx, env, "requests", "--tunnel", "app", "--follow", "--json")
		// The three recent ones, oldest first, then the new ones as they come.
		want := []string{"/hook/a", "/hook/b", "/hook/c", "/live/1", "/live/2"}
		for i, w := range want {
			if i == 3 {
				capture("/live/1")
				capture("/live/2")
			}
			line := r.nextLine(t)
			var got struct{ Path string }
			if err := json.Unmarshal([]byte(line), &got); err != nil || got.Path != w {
				t.Fatalf("line %d = %q, want path %s", i, line, w)
			}
		}
	})
	t.Run("FollowForPeople", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r := startWarren(t, ctx, env, "requests", "--tunnel", "app", "--follow", "--limit", "1")
		if l := r.nextLine(t); !strings.Contains(l, "POST") || !strings.Contains(l, "200") || !strings.HasSuffix(l, "/live/2") ||
			!strings.Contains(l, "  req_") || !strings.Contains(l, "  app ") {
			t.Fatalf("first line %q", l)
		}
		capture("/live/3")
		if l := r.nextLine(t); !strings.Contains(l, "12.5ms") || !strings.HasSuffix(l, "/live/3") {
			t.Fatalf("streamed line %q", l)
		}
	})
	t.Run("FollowEveryTunnel", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r := startWarren(t, ctx, env, "requests", "--follow", "--json", "--limit", "1")
		if l := r.nextLine(t); !strings.Contains(l, `"/live/3"`) {
			t.Fatalf("first line %q", l)
		}
		if _, err := s.Log.Append(context.Background(), events.Draft{Type: events.RequestCaptured, Account: me.ID, Data: domain.CapturedRequest{
			Tunnel: "other", Kind: domain.KindHTTP, Method: "GET", Path: "/elsewhere", Status: 204}}); err != nil {
			t.Fatal(err)
		}
		capture("/live/4")
		for _, want := range []string{`"/elsewhere"`, `"/live/4"`} {
			if l := r.nextLine(t); !strings.Contains(l, want) {
				t.Fatalf("streamed %q, want %s", l, want)
			}
		}
	})
}

// TestCLI_AgainstServe drives a real `warren serve` process: the CLI logs in
// with the operator key it printed, and domain checks go to --dns-resolver.
func TestCLI_AgainstServe(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadDNS := pc.LocalAddr().String()
	pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := startWarren(t, ctx, nil, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--domain", "localhost", "--dns-resolver", deadDNS)
	var url, key string
	for url == "" || key == "" {
		line := srv.nextLine(t)
		if u, ok := strings.CutPrefix(line, "Warren is running at "); ok {
			url = u
		}
		if k := warrentest.KeyRe.FindString(line); k != "" && key == "" {
			key = k
		}
	}
	env := warrentest.CLIEnv(t)
	warrentest.CLIOK(t, env, "login", "--server", url, "--key", key)
	var d struct{ ID string }
	warrentest.CLIJSON(t, env, &d, "domains", "add", "app.example.com")
	// The lookup went to the dead resolver, not the system's.
	warrentest.CLIFails(t, env, deadDNS, "domains", "verify", d.ID)
	var u struct {
		Plan string
		Used struct{ Domains int64 }
	}
	warrentest.CLIJSON(t, env, &u, "usage")
	if u.Plan != "pro" || u.Used.Domains != 1 {
		t.Fatalf("usage = %+v", u)
	}
}
