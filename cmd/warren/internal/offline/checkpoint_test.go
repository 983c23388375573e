package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

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
	s := startServer(t, data)
	key := keyRe.FindString(s.waitOutput(t, "ak_"))
	if key == "" {
		t.Fatalf("no key in serve output:\n%s", s.output())
	}
	text := fetchCheckpoint(t, s.url, key)
	s.stop(t)
	if fi, err := os.Stat(filepath.Join(data, "checkpoint.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("checkpoint.key: %v %v", fi, err)
	}
	dir := t.TempDir()
	cpFile := filepath.Join(dir, "checkpoint.txt")
	if err := os.WriteFile(cpFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "localhost\n2\n") {
		t.Fatalf("checkpoint of a fresh server:\n%s", text)
	}
	seedAccounts(t, data, 2) // the log grows past the checkpoint

	t.Run("OK", func(t *testing.T) {
		r := mustRun(t, "events", "verify", "--data", data, "--checkpoint", cpFile)
		if !strings.Contains(r.stdout, "ok: checkpoint localhost of 2 events verified") || !strings.Contains(r.stdout, "(6 events now)") {
			t.Fatalf("stdout: %s", r.stdout)
		}
	})
	t.Run("PinnedKey", func(t *testing.T) {
		r := mustRun(t, "events", "verify", "--data", data, "--public-key", "--domain", "localhost")
		pin := strings.TrimSpace(r.stdout)
		if !strings.HasPrefix(pin, "localhost+") || strings.Count(pin, "\n") != 0 {
			t.Fatalf("public key output %q", r.stdout)
		}
		keyFile := filepath.Join(dir, "pinned.pub")
		if err := os.WriteFile(keyFile, []byte(pin+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		mustRun(t, "events", "verify", "--data", data, "--checkpoint", cpFile, "--public-key-file", keyFile)
	})
	t.Run("ErrOtherKey", func(t *testing.T) {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		keyFile := filepath.Join(dir, "other.pub")
		if err := os.WriteFile(keyFile, []byte(events.VerifierKey("localhost", pub)), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runWarren(t, nil, "events", "verify", "--data", data, "--checkpoint", cpFile, "--public-key-file", keyFile)
		if r.code != 1 || !strings.Contains(r.stdout, "REFUSED") || !strings.Contains(r.stderr, "not signed by the pinned key") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
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
		r := runWarren(t, nil, "events", "verify", "--data", data, "--checkpoint", cpFile)
		if r.code != 1 || !strings.Contains(r.stdout, "BROKEN at event #1 "+victim.String()) {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})
}

func TestCheckpoints_Start(t *testing.T) {
	data := t.TempDir()
	l, err := events.Open(filepath.Join(data, "warren.db"), events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// A short interval so the test sees a second signature; the server uses
	// checkpointEvery (an hour).
	c, err := startCheckpoints(l, data, "localhost", slog.New(slog.DiscardHandler), 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop()
	signer, err := events.LoadSigner(data)
	if err != nil {
		t.Fatalf("the key was not created: %v", err)
	}
	if _, err := l.Append(context.Background(), events.Draft{Type: events.ReservationCreated, Account: "acc_x",
		Data: events.ReservationData{Subdomain: "x"}}); err != nil {
		t.Fatal(err)
	}
	// Wait (10 s at most) for a checkpoint that covers the appended event.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		text := c.Latest()
		if text != "" {
			cp, err := events.VerifyCheckpoint(l, text, signer.Public(), nil)
			if err != nil {
				t.Fatalf("latest checkpoint does not verify: %v\n%s", err, text)
			}
			if cp.Size == 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of the appended event; latest:\n%s", text)
		}
	}
	c.stop()
	c.stop() // idempotent: Close may run after a failed start
}
