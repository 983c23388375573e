package offline

import (
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/cmd/warren/internal/warrentest"
	"warren/events"
)

// fetchCheckpoint GETs /api/v1/checkpoint from a running server.
func fetchCheckpoint(t *testing.T, url, key string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/api/v1/checkpoint", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("checkpoint: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func TestEventsVerify_Checkpoint(t *testing.T) {
	data := t.TempDir()
	s := warrentest.StartServer(t, data)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	if key == "" {
		t.Fatalf("no key in serve output:\n%s", s.Output())
	}
	text := fetchCheckpoint(t, s.URL, key)
	s.Stop(t)
	if fi, err := os.Stat(filepath.Join(data, "checkpoint.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("checkpoint.key: %v %v", fi, err)
	}
	dir := t.TempDir()
	cpFile := filepath.Join(dir, "checkpoint.txt")
	if err := os.WriteFile(cpFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	// 3 events: the operator's account, its key, its set-password link.
	if !strings.HasPrefix(text, "localhost\n3\n") {
		t.Fatalf("checkpoint of a fresh server:\n%s", text)
	}
	warrentest.SeedAccounts(t, data, 2) // the log grows past the checkpoint

	t.Run("OK", func(t *testing.T) {
		r := warrentest.MustRun(t, "events", "verify", "--data", data, "--checkpoint", cpFile)
		if !strings.Contains(r.Stdout, "ok: checkpoint localhost of 3 events verified") || !strings.Contains(r.Stdout, "(7 events now)") {
			t.Fatalf("stdout: %s", r.Stdout)
		}
	})
	t.Run("PinnedKey", func(t *testing.T) {
		r := warrentest.MustRun(t, "events", "verify", "--data", data, "--public-key", "--domain", "localhost")
		pin := strings.TrimSpace(r.Stdout)
		if !strings.HasPrefix(pin, "localhost+") || strings.Count(pin, "\n") != 0 {
			t.Fatalf("public key output %q", r.Stdout)
		}
		keyFile := filepath.Join(dir, "pinned.pub")
		if err := os.WriteFile(keyFile, []byte(pin+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		warrentest.MustRun(t, "events", "verify", "--data", data, "--checkpoint", cpFile, "--public-key-file", keyFile)
	})
	t.Run("ErrOtherKey", func(t *testing.T) {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		keyFile := filepath.Join(dir, "other.pub")
		if err := os.WriteFile(keyFile, []byte(events.VerifierKey("localhost", pub)), 0o600); err != nil {
			t.Fatal(err)
		}
		r := warrentest.Run(t, nil, "events", "verify", "--data", data, "--checkpoint", cpFile, "--public-key-file", keyFile)
		if r.Code != 1 || !strings.Contains(r.Stdout, "REFUSED") || !strings.Contains(r.Stderr, "not signed by the pinned key") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("ErrFlippedEvent", func(t *testing.T) {
		// Change the second event (the operator's key.created) in its JSON data.
		db, err := bolt.Open(filepath.Join(data, "warren.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		var victim ulid.ULID
		err = db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("events"))
			c := b.Cursor()
			c.First()
			k, v := c.Next()
			copy(victim[:], k)
			v = append([]byte(nil), v...)
			v[len(v)-3] ^= 0x01
			return b.Put(append([]byte(nil), k...), v)
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		r := warrentest.Run(t, nil, "events", "verify", "--data", data, "--checkpoint", cpFile)
		if r.Code != 1 || !strings.Contains(r.Stdout, "BROKEN at event #1 "+victim.String()) {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
		}
	})
}
