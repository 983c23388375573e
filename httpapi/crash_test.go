package httpapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

const crashDirEnv = "WARREN_HTTPAPI_CRASH_DIR"

// TestCrashHelper is the server process of TestCrash_Reservations: it runs
// only when re-executed with crashDirEnv set, serves the API over the log in
// that directory, writes its address to <dir>/addr and waits to be killed.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	ps := gochannel.NewGoChannel(gochannel.Config{}, watermill.NopLogger{})
	l, err := events.Open(filepath.Join(dir, "warren.db"), events.Options{Applier: projections.New(), Publisher: ps})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Log: l, BaseDomain: "warren.test", Subscriber: ps, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "addr.tmp")
	if err := os.WriteFile(tmp, []byte(ln.Addr().String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "addr")); err != nil {
		t.Fatal(err)
	}
	t.Fatal(http.Serve(ln, s.Handler()))
}

// startCrashServer re-executes the test binary as the helper and returns
// the process and its base URL.
func startCrashServer(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	os.Remove(filepath.Join(dir, "addr"))
	cmd := exec.Command(os.Args[0], "-test.run", "^TestCrashHelper$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, "addr")); err == nil {
			return cmd, "http://" + string(b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("helper server did not start")
	return nil, ""
}

func TestCrash_Reservations(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	secret, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	l, err := events.Open(filepath.Join(dir, "warren.db"), events.Options{Applier: projections.New()})
	if err != nil {
		t.Fatal(err)
	}
	// After the crash and every reopen: consistent, and the chain verifies.
	t.Cleanup(func() { logtest.Check(t, filepath.Join(dir, "warren.db")) })
	if _, err := l.Execute(context.Background(), projections.CreateAccount(projections.NewAccount{
		Email: "crash@example.com", Plan: domain.PlanPro,
		KeyHash: domain.HashKeySecret(secret), KeyPrefix: domain.KeyShownPrefix(secret)})); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	cmd, base := startCrashServer(t, dir)
	client := &http.Client{Timeout: 10 * time.Second}
	var mu sync.Mutex
	var created []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sub := fmt.Sprintf("crash-%d-%d", g, i)
				req, _ := http.NewRequest("POST", base+"/api/v1/me/reservations", strings.NewReader(`{"subdomain":"`+sub+`"}`))
				req.Header.Set("Authorization", "Bearer "+secret)
				resp, err := client.Do(req)
				if err != nil {
					return // the server died
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					mu.Lock()
					created = append(created, sub)
					mu.Unlock()
				}
			}
		}(g)
	}
	// Kill once a fair number got through, with requests in flight.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(created)
		mu.Unlock()
		if n >= 200 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(created) == 0 {
		t.Fatal("no reservation got through before the kill")
	}

	_, base = startCrashServer(t, dir)
	listed := map[string]bool{}
	next := base + "/api/v1/me/reservations"
	for next != "" {
		req, _ := http.NewRequest("GET", next, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Reservations []reservationJSON `json:"reservations"`
			Next         *string           `json:"next_page_uri"`
		}
		err = decodeStrictReader(resp, &p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Reservations {
			listed[r.Subdomain] = true
		}
		next = ""
		if p.Next != nil {
			next = *p.Next
		}
	}
	for _, sub := range created {
		if !listed[sub] {
			t.Fatalf("%s got 201 before the SIGKILL but is not listed after restart", sub)
		}
	}
	t.Logf("%d reservations acknowledged before SIGKILL, %d listed after restart", len(created), len(listed))
}
