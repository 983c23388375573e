package events_test

import (
	"go.uber.org/goleak"

	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
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

// The crash test re-executes the test binary as a child that appends; these
// variables switch it into that role.
const (
	crashChildEnv = "WARREN_EVENTS_CRASH_CHILD"
	crashDBEnv    = "WARREN_EVENTS_CRASH_DB"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild(os.Getenv(crashDBEnv)))
	}
	if os.Getenv(fullDiskChildEnv) != "" {
		os.Exit(fullDiskChild(os.Getenv(crashDBEnv)))
	}
	// Every goroutine has an owner that waits for it.
	goleak.VerifyTestMain(m)
}

// crashChild appends from 8 goroutines until killed, printing each
// acknowledged id on its own line as soon as Append returns. Every 4th event
// carries a body, so the bodies bucket is crashed too.
func crashChild(path string) int {
	l, err := events.Open(path, events.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				d := reservation(fmt.Sprintf("acc_%d", w), fmt.Sprintf("crash-%d-%d", w, i))
				if i%4 == 0 {
					d = events.Draft{Type: events.RequestCaptured, Account: fmt.Sprintf("acc_%d", w),
						Data:   domain.CapturedRequest{TunnelID: "tun_crash", Kind: domain.KindHTTP, Method: "POST"},
						Bodies: [][]byte{[]byte(strings.Repeat(fmt.Sprintf("body %d %d ", w, i), 20))}}
				}
				evs, err := l.Append(context.Background(), d)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				line := evs[0].ID.String() + "\n"
				if i%4 == 0 {
					line = evs[0].ID.String() + " body\n"
				}
				// One write per line: unbuffered, so the parent sees it at once.
				mu.Lock()
				_, err = os.Stdout.WriteString(line)
				mu.Unlock()
				if err != nil {
					os.Exit(4)
				}
			}
		}(w)
	}
	wg.Wait()
	return 0
}

// crashRound starts a child on path, lets it append for a random 50–400 ms
// after its first acknowledgement, SIGKILLs it and returns every id it
// acknowledged (with whether the event carried a body).
func crashRound(t *testing.T, path string, rng *rand.Rand) map[ulid.ULID]bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashDBEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	acked := map[ulid.ULID]bool{}
	add := func(line string) {
		f := strings.Fields(line)
		id, err := ulid.Parse(f[0])
		if err != nil {
			t.Errorf("child printed %q: %v", line, err)
			return
		}
		acked[id] = len(f) > 1
	}
	timeout := time.After(20 * time.Second)
	select {
	case line, ok := <-lines:
		if !ok {
			cmd.Wait()
			t.Fatalf("child exited before appending: %s", stderr.String())
		}
		add(line)
	case <-timeout:
		cmd.Process.Kill()
		t.Fatal("child did not append within 20 s")
	}
	kill := time.After(time.Duration(50+rng.IntN(351)) * time.Millisecond)
read:
	for {
		select {
		case line := <-lines:
			add(line)
		case <-kill:
			break read
		}
	}
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Lines written before the kill are acknowledgements too: read to EOF.
	for line := range lines {
		add(line)
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not by SIGKILL; stderr: %s", err, stderr.String())
	}
	return acked
}

func TestLog_Crash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash rounds take several seconds")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	// After the last round's close: bbolt's consistency and the chain.
	t.Cleanup(func() { logtest.Check(t, path) })
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	all := map[ulid.ULID]bool{}
	const rounds = 20
	for round := 0; round < rounds; round++ {
		acked := crashRound(t, path, rng)
		for id, body := range acked {
			all[id] = body
		}
		l, err := events.Open(path, events.Options{})
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", round, err)
		}
		h, err := l.Verify(nil)
		if err != nil {
			l.Close()
			t.Fatalf("round %d: chain broken after SIGKILL: %v", round, err)
		}
		for id, body := range all {
			if _, ok, err := l.Get(id); !ok || err != nil {
				l.Close()
				t.Fatalf("round %d: acknowledged %s lost (ok=%v err=%v)", round, id, ok, err)
			}
			if body {
				if _, ok, err := l.Body(id, 0); !ok || err != nil {
					l.Close()
					t.Fatalf("round %d: body of acknowledged %s lost (ok=%v err=%v)", round, id, ok, err)
				}
			}
		}
		if h.Count < uint64(len(all)) {
			t.Fatalf("round %d: head counts %d events, %d acknowledged", round, h.Count, len(all))
		}
		t.Logf("round %d: %d acknowledged this round, %d in all, %d stored", round, len(acked), len(all), h.Count)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
