package offline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
)

func TestAdminAccount_Create(t *testing.T) {
	data := t.TempDir()

	t.Run("OK", func(t *testing.T) {
		r := warrentest.MustRun(t, "admin", "account", "create", "--data", data, "--init", "--email", "Ada@Example.com", "--name", "Ada", "--plan", "pro")
		key := warrentest.LastLine(r.Stdout)
		if err := domain.CheckKeySecret(key); err != nil {
			t.Errorf("last line %q is not a key: %v\n%s", key, err, r.Stdout)
		}
		if !strings.Contains(r.Stdout, "acc_") || !strings.Contains(r.Stdout, "ada@example.com") {
			t.Errorf("account not described:\n%s", r.Stdout)
		}
	})

	t.Run("ErrDuplicateEmail", func(t *testing.T) {
		r := warrentest.Run(t, nil, "admin", "account", "create", "--data", data, "--email", "ada@example.com")
		if r.Code != 1 || !strings.Contains(r.Stderr, "conflict") {
			t.Errorf("exit %d, stderr %q; want 1 and a conflict", r.Code, r.Stderr)
		}
		if warrentest.KeyRe.MatchString(r.Stdout) {
			t.Errorf("a key was printed for a refused account: %s", r.Stdout)
		}
	})

	t.Run("ErrBadPlan", func(t *testing.T) {
		r := warrentest.Run(t, nil, "admin", "account", "create", "--data", data, "--email", "b@example.com", "--plan", "gold")
		if r.Code != 1 || !strings.Contains(r.Stderr, `unknown plan "gold"`) {
			t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
		}
	})

	t.Run("ErrNoEmail", func(t *testing.T) {
		r := warrentest.Run(t, nil, "admin", "account", "create", "--data", data)
		if r.Code != 2 || !strings.Contains(r.Stderr, "--email is required") {
			t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
		}
	})

	t.Run("EnvTwin", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nested", "data")
		r := warrentest.Run(t, []string{"WARREN_DATA=" + dir}, "admin", "account", "create", "--init", "--email", "env@example.com", "--operator")
		if r.Code != 0 {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
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
		list := warrentest.MustRun(t, "admin", "account", "list", "--data", dir)
		if !strings.Contains(list.Stdout, "env@example.com") || !strings.Contains(list.Stdout, "true") {
			t.Errorf("operator account not listed:\n%s", list.Stdout)
		}
	})
}

func TestAdminAccount_Plan(t *testing.T) {
	data := t.TempDir()
	warrentest.MustRun(t, "admin", "account", "create", "--data", data, "--init", "--email", "p@example.com")

	t.Run("OK", func(t *testing.T) {
		r := warrentest.MustRun(t, "admin", "account", "plan", "--data", data, "--email", "P@example.com", "--plan", "pro")
		if !strings.Contains(r.Stdout, "free -> pro") {
			t.Errorf("stdout %q", r.Stdout)
		}
		list := warrentest.MustRun(t, "admin", "account", "list", "--data", data)
		if !strings.Contains(list.Stdout, "p@example.com") || !strings.Contains(list.Stdout, " pro ") {
			t.Errorf("plan change not listed:\n%s", list.Stdout)
		}
	})

	t.Run("Unchanged", func(t *testing.T) {
		r := warrentest.MustRun(t, "admin", "account", "plan", "--data", data, "--email", "p@example.com", "--plan", "pro")
		if !strings.Contains(r.Stdout, "already on plan pro") {
			t.Errorf("stdout %q", r.Stdout)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		r := warrentest.Run(t, nil, "admin", "account", "plan", "--data", data, "--email", "nobody@example.com", "--plan", "pro")
		if r.Code != 1 || !strings.Contains(r.Stderr, "not_found") {
			t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
		}
	})
}

// admin account create --server creates the account over the API of a
// running server (which holds the data file): the new key is the last line.
func TestAdminAccountCreate_Online(t *testing.T) {
	s := warrentest.StartServer(t, t.TempDir())
	defer s.Stop(t)
	opKey := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	env := []string{"HOME=" + t.TempDir()}
	r := warrentest.Run(t, env, "admin", "account", "create", "--email", "new@example.com", "--plan", "pro", "--server", s.URL, "--key", opKey)
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	key := lines[len(lines)-1]
	if r.Code != 0 || !warrentest.KeyRe.MatchString(key) || !strings.Contains(r.Stdout, "(new@example.com, plan pro)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
	}
	asNew := []string{"HOME=" + t.TempDir(), "WARREN_SERVER=" + s.URL, "WARREN_API_KEY=" + key}
	if r := warrentest.Run(t, asNew, "keys"); r.Code != 0 || !strings.Contains(r.Stdout, "first key") {
		t.Fatalf("the new key: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, c := range []struct{ key, email, want string }{
		{key, "other@example.com", "forbidden: "}, // not an operator's key
		{opKey, "new@example.com", "conflict: "},  // taken
		{opKey, "not-an-email", "invalid: "},
	} {
		r := warrentest.Run(t, env, "admin", "account", "create", "--email", c.email, "--server", s.URL, "--key", c.key)
		if r.Code != 1 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("create %s: exit %d, want 1 with %q\nstdout: %s\nstderr: %s", c.email, r.Code, c.want, r.Stdout, r.Stderr)
		}
	}
}
