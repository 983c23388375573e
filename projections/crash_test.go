package projections

import (
	"go.uber.org/goleak"

	"bufio"
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
)

const crashChildEnv = "WARREN_PROJECTIONS_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	if path := os.Getenv(rebuildChildEnv); path != "" {
		rebuildChild(path)
		return
	}
	code := m.Run()
	if millionPath != "" {
		os.RemoveAll(filepath.Dir(millionPath))
	}
	if code == 0 {
		// Every goroutine has an owner that waits for it.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// crashChild appends through commands and plain appends from 8 goroutines,
// printing each acknowledged event id, until it is killed.
func crashChild(path string) {
	l, err := events.Open(path, events.Options{Applier: New()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if _, err := EnsureCurrent(l.DB(), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	ack := func(evs []events.Event) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range evs {
			fmt.Fprintln(out, ev.ID)
		}
		out.Flush()
	}
	ctx := context.Background()
	acc := fmt.Sprintf("crash%d@example.com", os.Getpid())
	evs, err := l.Execute(ctx, CreateAccount(NewAccount{Email: acc, Plan: domain.PlanPro, KeyHash: "h" + acc, KeyPrefix: "ak_x"}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	ack(evs)
	id := AccountIDFromEvents(evs)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; ; i++ {
				var evs []events.Event
				var err error
				switch i % 4 {
				case 0:
					evs, err = l.Execute(ctx, Reserve(id, fmt.Sprintf("g%d-n%d", g, i)))
				case 1:
					evs, err = l.Execute(ctx, openHTTP(id, ""))
				default:
					evs, err = l.Append(ctx, captured(id, "t", time.Now(), 10, 20))
				}
				if err == nil {
					ack(evs)
				}
			}
		}()
	}
	select {}
}

func TestCrash_AcknowledgedSurviveAndRebuildEqualsLive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warren.db")
	// After every crash and reopen: consistent, and the chain verifies.
	t.Cleanup(func() { logtest.Check(t, path) })
	rounds := 20
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var acked []string
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				acked = append(acked, strings.TrimSpace(sc.Text()))
			}
		}()
		time.Sleep(time.Duration(100+mrand.IntN(300)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		_ = cmd.Wait()

		l, err := events.Open(path, events.Options{Applier: New()})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		for _, s := range acked {
			id, err := ulid.ParseStrict(s)
			if err != nil {
				t.Fatalf("round %d: child printed %q", round, s)
			}
			if _, ok, err := l.Get(id); !ok || err != nil {
				t.Fatalf("round %d: acknowledged event %s is missing after SIGKILL (%v)", round, s, err)
			}
		}
		if _, err := l.Verify(nil); err != nil {
			t.Fatalf("round %d: verify: %v", round, err)
		}
		live := fingerprint(t, l.DB())
		if _, err := Rebuild(l.DB(), nil); err != nil {
			t.Fatal(err)
		}
		if fingerprint(t, l.DB()) != live {
			t.Fatalf("round %d: rebuild differs from live after SIGKILL", round)
		}
		if round == rounds-1 && len(acked) == 0 {
			t.Fatal("the child acknowledged nothing in the last round")
		}
		l.Close()
	}
}
