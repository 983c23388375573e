package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

func TestEventsList(t *testing.T) {
	srv := startAPIServer(t, "")
	env := warrentest.CLIEnv(t)
	warrentest.CLIOK(t, env, "login", "--server", srv.URL, "--key", srv.key)
	warrentest.CLIOK(t, env, "reservations", "add", "audit-cli")
	warrentest.CLIOK(t, env, "keys", "create", "--description", "ci")

	t.Run("JSON", func(t *testing.T) {
		var evs []auditEvent
		if err := json.Unmarshal([]byte(warrentest.CLIOK(t, env, "events", "list", "--json")), &evs); err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		// Oldest first: the account, its key, then the CLI's two changes.
		want := "account.created key.created reservation.created key.created"
		if strings.Join(types, " ") != want {
			t.Fatalf("types %v, want %s", types, want)
		}
	})
	t.Run("TypeAndLimit", func(t *testing.T) {
		var evs []auditEvent
		if err := json.Unmarshal([]byte(warrentest.CLIOK(t, env, "events", "list", "--json", "--type", "key.", "--limit", "1")), &evs); err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Type != "key.created" || !strings.Contains(string(evs[0].Data), `"ci"`) {
			t.Fatalf("events %+v", evs)
		}
	})
	t.Run("NoSecrets", func(t *testing.T) {
		out := warrentest.CLIOK(t, env, "events", "list", "--all")
		if strings.Contains(out, "ak_") || !strings.Contains(out, "reservation.created") {
			t.Fatalf("output:\n%s", out)
		}
	})
	t.Run("Follow", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		live := startWarren(t, ctx, env, "events", "list", "--follow", "--json", "--limit", "1")
		if l := live.nextLine(t); !strings.Contains(l, "key.created") {
			t.Fatalf("first line %q", l)
		}
		// The stream resumes after the last event printed (Last-Event-ID),
		// so a change made before it connects is not missed either.
		warrentest.CLIOK(t, env, "reservations", "add", "follow-a")
		var ev auditEvent
		if l := live.nextLine(t); json.Unmarshal([]byte(l), &ev) != nil || ev.Type != "reservation.created" ||
			!strings.Contains(string(ev.Data), "follow-a") {
			t.Fatalf("streamed %q", l)
		}
	})
	t.Run("ErrNotLoggedIn", func(t *testing.T) {
		warrentest.CLIFails(t, warrentest.CLIEnv(t), "not logged in", "events", "list")
	})
}
