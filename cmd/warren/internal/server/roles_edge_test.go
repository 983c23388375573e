package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge/agent"
	"warren/projections"
)

// TestEdgeCapturesTravelThroughJetStreamOnce: with the edge's captures
// going to a capture Sender (as on an edge node), requests through a real
// agent's tunnel are answered, and each capture reaches the log through
// JetStream and the control plane's Consumer, exactly once.
func TestEdgeCapturesTravelThroughJetStreamOnce(t *testing.T) {
	m := NewMain(Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Domain: "warren.test", OperatorEmail: "root@warren.test",
		Stdout: io.Discard, Roles: RoleSettings{Role: RoleControl, NATSHost: "127.0.0.1"}})
	m.control.sendCaptures = true
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	acc, key := mustServeAccount(t, m, "edge@example.com")

	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	})}
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go origin.Serve(oln)
	t.Cleanup(func() { origin.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ag, err := agent.Dial(ctx, agent.Options{Server: "http://" + m.Addr(), Key: key,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ag.Close(ctx)
	})
	if _, err := ag.OpenHTTP(ctx, oln.Addr().String(), "viajs"); err != nil {
		t.Fatal(err)
	}
	const n = 20
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range n {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/r/%d", m.Addr(), i), nil)
		req.Host = "viajs.warren.test"
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if want := fmt.Sprintf("hello /r/%d", i); res.StatusCode != 200 || string(b) != want {
			t.Fatalf("request %d: %d %q, want 200 %q", i, res.StatusCode, b, want)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	var got []domain.CapturedRequest
	for {
		got, err = projections.View(m.Log.DB(), func(tx *bolt.Tx) ([]domain.CapturedRequest, error) {
			return projections.Requests(tx, acc, "", ulid.ULID{}, 100)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	paths := map[string]int{}
	for _, r := range got {
		paths[r.Path]++
	}
	for i := range n {
		if c := paths[fmt.Sprintf("/r/%d", i)]; c != 1 {
			t.Errorf("/r/%d captured %d times, want once", i, c)
		}
	}
	// The Consumer counts an append once AppendOnce returns, a moment after
	// the commit made the capture visible above: wait for the count too.
	for deadline := time.Now().Add(10 * time.Second); m.control.consumer.Stats().Appended < n && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if st := m.control.consumer.Stats(); st.Appended != n {
		t.Errorf("the Consumer appended %d captures, want %d (they went around JetStream?)", st.Appended, n)
	}
}

// TestEdgeRole_RefusesUntilWired: --role edge says plainly that it cannot
// run yet rather than start a log of its own.
func TestEdgeRole_RefusesUntilWired(t *testing.T) {
	dir := t.TempDir()
	m := NewMain(Config{DataDir: dir, Addr: "127.0.0.1:0", Domain: "warren.test", Stdout: io.Discard,
		Roles: RoleSettings{Role: RoleEdge, NATSURL: "nats://127.0.0.1:1", ControlURL: "http://127.0.0.1:1", EdgeToken: "ak_x"}})
	err := m.Run(context.Background())
	if domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("Run: %v, want CodeUnavailable", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("an edge wrote %d files into its data directory, want none (no log)", len(entries))
	}
}
