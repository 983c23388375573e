package offline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/cmd/warren/internal/warrentest"
)

var headHashRe = regexp.MustCompile(`head hash: ([0-9a-f]{64})`)

func TestEventsVerify(t *testing.T) {
	// A log as a server's first start leaves it (the operator's account,
	// key and set-password link, and the billing rule: 4 events) plus 2
	// accounts (2 events each).
	newLog := func(t *testing.T) string {
		data := t.TempDir()
		warrentest.StartServer(t, data).Stop(t)
		warrentest.SeedAccounts(t, data, 2)
		return data
	}

	t.Run("OK", func(t *testing.T) {
		data := newLog(t)
		r := warrentest.MustRun(t, "events", "verify", "--data", data)
		if !strings.Contains(r.Stdout, "ok: 8 events") || !headHashRe.MatchString(r.Stdout) {
			t.Errorf("stdout:\n%s", r.Stdout)
		}
	})

	// Flip one byte of the third event with bbolt directly on the stopped
	// server's file: in its prev hash, or in its JSON data (still valid
	// JSON, so only the hash chain can tell).
	for name, pick := range map[string]func(v []byte) int{
		"ErrFlippedPrevHash": func([]byte) int { return 20 }, // prev starts at offset 17
		// The third event is the set-password link: flip the last
		// character of its last string value (expiresAt's "Z").
		"ErrFlippedData": func(v []byte) int { return bytes.LastIndexByte(v, '}') - 2 },
	} {
		t.Run(name, func(t *testing.T) {
			data := newLog(t)
			db, err := bolt.Open(filepath.Join(data, "warren.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			var victim ulid.ULID
			err = db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("events"))
				c := b.Cursor()
				c.First()
				c.Next()
				k, v := c.Next()
				copy(victim[:], k)
				v = append([]byte(nil), v...)
				i := pick(v)
				if i < 0 {
					return fmt.Errorf("no byte to flip in %q", v)
				}
				v[i] ^= 0x01
				return b.Put(append([]byte(nil), k...), v)
			})
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			r := warrentest.Run(t, nil, "events", "verify", "--data", data)
			if r.Code != 1 {
				t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
			}
			for _, want := range []string{"#2", victim.String()} {
				if !strings.Contains(r.Stdout, want) || !strings.Contains(r.Stderr, want) {
					t.Errorf("output does not name %s\nstdout: %s\nstderr: %s", want, r.Stdout, r.Stderr)
				}
			}
		})
	}

	t.Run("ErrNoLog", func(t *testing.T) {
		r := warrentest.Run(t, nil, "events", "verify", "--data", t.TempDir())
		if r.Code != 1 || !strings.Contains(r.Stderr, "no event log") { // nolog.go
			t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
		}
	})
}

func TestEventsTail(t *testing.T) {
	data := t.TempDir()
	warrentest.SeedAccounts(t, data, 2)

	decode := func(t *testing.T, out string) []map[string]any {
		t.Helper()
		var evs []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			evs = append(evs, ev)
		}
		return evs
	}

	t.Run("Limit", func(t *testing.T) {
		evs := decode(t, warrentest.MustRun(t, "events", "tail", "--data", data, "--limit", "3").Stdout)
		if len(evs) != 3 {
			t.Fatalf("%d events, want 3", len(evs))
		}
		// The last three, oldest first: key, account, key.
		want := []string{"key.created", "account.created", "key.created"}
		for i, ev := range evs {
			if ev["type"] != want[i] {
				t.Errorf("event %d type %v, want %s", i, ev["type"], want[i])
			}
		}
		if evs[1]["id"].(string) >= evs[2]["id"].(string) {
			t.Errorf("not oldest first: %v then %v", evs[1]["id"], evs[2]["id"])
		}
	})

	t.Run("All", func(t *testing.T) {
		evs := decode(t, warrentest.MustRun(t, "events", "tail", "--data", data, "--limit", "0").Stdout)
		if len(evs) != 4 || evs[0]["type"] != "account.created" {
			t.Errorf("got %v", evs)
		}
	})

	t.Run("FollowStopsOnSignal", func(t *testing.T) {
		cmd := exec.Command(warrentest.Bin(), "events", "tail", "--data", data, "--follow", "--limit", "1")
		cmd.Env = warrentest.ChildEnv()
		pipe, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		first := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(pipe)
			if sc.Scan() {
				first <- sc.Text()
			}
			close(first)
		}()
		select {
		case line := <-first:
			if !strings.Contains(line, `"key.created"`) {
				t.Errorf("first line %q", line)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no line within 10 s")
		}
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("tail --follow exited with %v after SIGINT", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("tail --follow did not stop within 10 s of SIGINT")
		}
	})
}
