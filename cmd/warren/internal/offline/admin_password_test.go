package offline

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server"
	"warren/cmd/warren/internal/warrentest"
	"warren/events"
	"warren/httpapi/dashboard"
	"warren/projections"
)

// runIn runs RunAccountPassword in process with stdin.
func runIn(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	home := t.TempDir()
	e := &command.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}}
	err := RunAccountPassword(context.Background(), e, args)
	return out.String() + errb.String(), err
}

func storedPassword(t *testing.T, data, email string) string {
	t.Helper()
	l, err := server.OpenLog(data, server.OpenOptions{}, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	phc, err := projections.View(l.DB(), func(tx *bolt.Tx) (string, error) {
		a, err := projections.AccountByEmail(tx, email)
		if err != nil {
			return "", err
		}
		return projections.AccountPassword(tx, a.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return phc
}

func TestAdminAccountPassword_Offline(t *testing.T) {
	data := t.TempDir()
	warrentest.MustRun(t, "admin", "account", "create", "--init", "--data", data, "--email", "ada@example.com")
	t.Run("FromStdin", func(t *testing.T) {
		out, err := runIn(t, "correct horse\r\n", "--data", data, "--email", "Ada@example.com")
		if err != nil || !strings.Contains(out, "password set") {
			t.Fatalf("%v: %s", err, out)
		}
		phc := storedPassword(t, data, "ada@example.com")
		if ok, err := dashboard.VerifyPassword(phc, "correct horse"); !ok || err != nil || !strings.HasPrefix(phc, "$argon2id$v=19$m=65536,t=3,p=4$") {
			t.Fatalf("stored %s: %v %v", phc, ok, err)
		}
	})
	t.Run("ErrShort", func(t *testing.T) {
		if _, err := runIn(t, "short\n", "--data", data, "--email", "ada@example.com"); err == nil || !strings.Contains(err.Error(), "at least 8") {
			t.Fatalf("short password: %v", err)
		}
	})
	t.Run("ErrNoAccount", func(t *testing.T) {
		if _, err := runIn(t, "correct horse\n", "--data", data, "--email", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "not_found") {
			t.Fatalf("no account: %v", err)
		}
	})
	t.Run("Link", func(t *testing.T) {
		out, err := runIn(t, "", "--data", data, "--email", "ada@example.com", "--link", "--url", "https://warren.example/")
		if err != nil || !strings.Contains(out, "https://warren.example/set-password#") {
			t.Fatalf("%v: %s", err, out)
		}
	})
}

// With --server the running server sets it, and the account signs in.
func TestAdminAccountPassword_Online(t *testing.T) {
	s := warrentest.StartServer(t, t.TempDir())
	defer s.Stop(t)
	opKey := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	out, err := runIn(t, "correct horse\n", "--server", s.URL, "--key", opKey, "--email", "operator@localhost")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	resp, err := http.Post(s.URL+"/api/v1/session", "application/json", strings.NewReader(`{"email":"operator@localhost","password":"correct horse"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("sign-in with the password set over --server: %d", resp.StatusCode)
	}
	out, err = runIn(t, "", "--server", s.URL, "--key", opKey, "--email", "operator@localhost", "--link")
	if err != nil || !strings.Contains(out, "/set-password#") {
		t.Fatalf("link: %v: %s", err, out)
	}
}
