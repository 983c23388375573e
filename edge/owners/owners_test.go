package owners_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"warren/domain"
	"warren/edge/owners"
	"warren/events/jsbus"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// edge is one edge's table, on a connection of its own.
type edge struct {
	*owners.Table
	nc   *nats.Conn
	mu   sync.Mutex
	lost []string
}

func (e *edge) lostNames() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.lost...)
}

func startServer(t *testing.T) *jsbus.Server {
	t.Helper()
	s, err := jsbus.StartServer(jsbus.ServerConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func openEdge(t *testing.T, url, id string, ttl time.Duration) *edge {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	e := &edge{nc: nc}
	tab, err := owners.Open(context.Background(), js, owners.Config{TTL: ttl,
		Self: owners.Owner{Edge: id, Addr: "https://" + id + ".internal:8443"},
		OnLost: func(name string) {
			e.mu.Lock()
			e.lost = append(e.lost, name)
			e.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	e.Table = tab
	return e
}

func mustHost(t *testing.T, host string) string {
	t.Helper()
	n, err := owners.HostName(host)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantHolder(t *testing.T, e *edge, name, want string) {
	t.Helper()
	o, ok, err := e.Lookup(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || o.Edge != want {
		t.Fatalf("%s held by %+v (ok=%v), want %s", name, o, ok, want)
	}
}

// TestClaim: a name is held by one edge at a time; the other's claim
// fails naming the holder, sees it in Lookup, and gets it once released.
func TestClaim(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	a, b := openEdge(t, s.URL(), "edge-a", 15*time.Second), openEdge(t, s.URL(), "edge-b", 15*time.Second)
	host := mustHost(t, "Demo.Warren.Test.")
	port, err := owners.PortName(20001)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		for _, n := range []string{host, port} {
			if err := a.Claim(ctx, n); err != nil {
				t.Fatal(err)
			}
			wantHolder(t, b, n, "edge-a")
		}
		o, _, _ := b.Lookup(ctx, host)
		if o.Addr != "https://edge-a.internal:8443" {
			t.Fatalf("owner address %q", o.Addr)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		for _, n := range []string{host, port} {
			err := b.Claim(ctx, n)
			if domain.ErrorCode(err) != domain.CodeConflict {
				t.Fatalf("second edge's claim of %s: %v, want a conflict", n, err)
			}
		}
	})
	t.Run("AgainBySameEdge", func(t *testing.T) {
		if err := a.Claim(ctx, host); err != nil {
			t.Fatalf("the holder's claim again: %v", err)
		}
	})
	t.Run("Release", func(t *testing.T) {
		if err := a.Release(ctx, host); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := b.Lookup(ctx, host); ok {
			t.Fatal("released name still held")
		}
		if err := b.Claim(ctx, host); err != nil {
			t.Fatalf("claim after release: %v", err)
		}
		wantHolder(t, a, host, "edge-b")
		// A release by an edge that no longer holds it leaves it alone.
		if err := a.Release(ctx, host); err != nil {
			t.Fatal(err)
		}
		wantHolder(t, a, host, "edge-b")
	})
	t.Run("ErrConflictOnTTL", func(t *testing.T) {
		nc, err := nats.Connect(s.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		// An edge configured with another TTL would keep names for longer
		// or shorter than the others expect.
		_, err = owners.Open(ctx, js, owners.Config{TTL: time.Minute, Self: owners.Owner{Edge: "edge-c"}})
		if domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatalf("open with another TTL: %v, want a conflict", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, h := range []string{"", "a..b", "*.x", "a b", "x>"} {
			if _, err := owners.HostName(h); domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("HostName(%q): %v", h, err)
			}
		}
		if _, err := owners.PortName(70000); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("PortName(70000): %v", err)
		}
	})
}

// TestHeartbeatKeepsAndLapseFreesName: with a 1 s TTL, a holder that
// beats keeps its name past several TTLs; once it stops (killed: no
// release) the other edge gets the name within the TTL and a bit, and the
// old holder, beating again, learns it lost it.
func TestHeartbeatKeepsAndLapseFreesName(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	const ttl = time.Second
	a, b := openEdge(t, s.URL(), "edge-a", ttl), openEdge(t, s.URL(), "edge-b", ttl)
	name := mustHost(t, "demo.warren.test")
	if err := a.Claim(ctx, name); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); a.Run(runCtx) }()
	// Three TTLs of beating: still edge-a's.
	for range 6 {
		time.Sleep(ttl / 2)
		if err := b.Claim(ctx, name); domain.ErrorCode(err) != domain.CodeConflict {
			stop()
			<-done
			t.Fatalf("claim while the holder beats: %v, want a conflict", err)
		}
	}
	stop()
	<-done
	stopped := time.Now()
	// The bound: the name moves within the TTL (plus JetStream's
	// expiry timer); 5 TTLs keep the test bounded.
	for {
		err := b.Claim(ctx, name)
		if err == nil {
			break
		}
		if domain.ErrorCode(err) != domain.CodeConflict {
			t.Fatal(err)
		}
		if time.Since(stopped) > 5*ttl {
			t.Fatalf("name still held %s after the holder stopped beating (TTL %s)", time.Since(stopped), ttl)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("taken over %s after the last heartbeat", time.Since(stopped).Round(time.Millisecond))
	wantHolder(t, a, name, "edge-b")
	if err := a.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	if lost := a.lostNames(); len(lost) != 1 || lost[0] != name {
		t.Fatalf("old holder reported lost %v, want [%s]", lost, name)
	}
	if len(a.Held()) != 0 {
		t.Fatalf("old holder still holds %v", a.Held())
	}
	wantHolder(t, a, name, "edge-b")
}
