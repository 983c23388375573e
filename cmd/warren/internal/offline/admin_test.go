package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warren/domain"
)

func TestAdminAccount_Create(t *testing.T) {
	data := t.TempDir()

	t.Run("OK", func(t *testing.T) {
		r := mustRun(t, "admin", "account", "create", "--data", data, "--email", "Ada@Example.com", "--name", "Ada", "--plan", "pro")
		key := lastLine(r.stdout)
		if err := domain.CheckKeySecret(key); err != nil {
			t.Errorf("last line %q is not a key: %v\n%s", key, err, r.stdout)
		}
		if !strings.Contains(r.stdout, "acc_") || !strings.Contains(r.stdout, "ada@example.com") {
			t.Errorf("account not described:\n%s", r.stdout)
		}
	})

	t.Run("ErrDuplicateEmail", func(t *testing.T) {
		r := runWarren(t, nil, "admin", "account", "create", "--data", data, "--email", "ada@example.com")
		if r.code != 1 || !strings.Contains(r.stderr, "conflict") {
			t.Errorf("exit %d, stderr %q; want 1 and a conflict", r.code, r.stderr)
		}
		if keyRe.MatchString(r.stdout) {
			t.Errorf("a key was printed for a refused account: %s", r.stdout)
		}
	})

	t.Run("ErrBadPlan", func(t *testing.T) {
		r := runWarren(t, nil, "admin", "account", "create", "--data", data, "--email", "b@example.com", "--plan", "gold")
		if r.code != 1 || !strings.Contains(r.stderr, `unknown plan "gold"`) {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("ErrNoEmail", func(t *testing.T) {
		r := runWarren(t, nil, "admin", "account", "create", "--data", data)
		if r.code != 2 || !strings.Contains(r.stderr, "--email is required") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("EnvTwin", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nested", "data")
		r := runWarren(t, []string{"WARREN_DATA=" + dir}, "admin", "account", "create", "--email", "env@example.com", "--operator")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		st, err := os.Stat(dir)
		if err != nil {
			t.Fatalf("WARREN_DATA not used: %v", err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Errorf("data dir mode %v, want 0700", st.Mode().Perm())
		}
		if _, err := os.Stat(filepath.Join(dir, "warren.db")); err != nil {
			t.Error(err)
		}
		list := mustRun(t, "admin", "account", "list", "--data", dir)
		if !strings.Contains(list.stdout, "env@example.com") || !strings.Contains(list.stdout, "true") {
			t.Errorf("operator account not listed:\n%s", list.stdout)
		}
	})
}

func TestAdminAccount_Plan(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "admin", "account", "create", "--data", data, "--email", "p@example.com")

	t.Run("OK", func(t *testing.T) {
		r := mustRun(t, "admin", "account", "plan", "--data", data, "--email", "P@example.com", "--plan", "pro")
		if !strings.Contains(r.stdout, "free -> pro") {
			t.Errorf("stdout %q", r.stdout)
		}
		list := mustRun(t, "admin", "account", "list", "--data", data)
		if !strings.Contains(list.stdout, "p@example.com") || !strings.Contains(list.stdout, " pro ") {
			t.Errorf("plan change not listed:\n%s", list.stdout)
		}
	})

	t.Run("Unchanged", func(t *testing.T) {
		r := mustRun(t, "admin", "account", "plan", "--data", data, "--email", "p@example.com", "--plan", "pro")
		if !strings.Contains(r.stdout, "already on plan pro") {
			t.Errorf("stdout %q", r.stdout)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		r := runWarren(t, nil, "admin", "account", "plan", "--data", data, "--email", "nobody@example.com", "--plan", "pro")
		if r.code != 1 || !strings.Contains(r.stderr, "not_found") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

// admin account create --server creates the account over the API of a
// running server (which holds the data file): the new key is the last line.
func TestAdminAccountCreate_Online(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.stop(t)
	opKey := keyRe.FindString(s.waitOutput(t, "ak_"))
	env := []string{"HOME=" + t.TempDir()}
	r := runWarren(t, env, "admin", "account", "create", "--email", "new@example.com", "--plan", "pro", "--server", s.url, "--key", opKey)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	key := lines[len(lines)-1]
	if r.code != 0 || !keyRe.MatchString(key) || !strings.Contains(r.stdout, "(new@example.com, plan pro)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	asNew := []string{"HOME=" + t.TempDir(), "WARREN_SERVER=" + s.url, "WARREN_API_KEY=" + key}
	if r := runWarren(t, asNew, "keys"); r.code != 0 || !strings.Contains(r.stdout, "first key") {
		t.Fatalf("the new key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, c := range []struct{ key, email, want string }{
		{key, "other@example.com", "forbidden: "}, // not an operator's key
		{opKey, "new@example.com", "conflict: "},  // taken
		{opKey, "not-an-email", "invalid: "},
	} {
		r := runWarren(t, env, "admin", "account", "create", "--email", c.email, "--server", s.url, "--key", c.key)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("create %s: exit %d, want 1 with %q\nstdout: %s\nstderr: %s", c.email, r.code, c.want, r.stdout, r.stderr)
		}
	}
}
