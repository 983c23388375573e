package httpapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"warren/edge/sealed"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge"
	"warren/edge/agent"
	"warren/projections"
)

// edgeReplayer hands replays to the edge built after the API (as the
// composition root does: the edge needs the API's handler first).
type edgeReplayer struct{ edge *edge.Server }

func (r *edgeReplayer) Replay(ctx context.Context, acc, sub string, id ulid.ULID, o domain.ReplayOverrides) (domain.CapturedRequest, error) {
	return r.edge.Replay(ctx, acc, sub, id, o)
}

// replayEnv is the API with a real edge, a real agent and a tunnel "hooks"
// to origin, and one captured request to replay.
type replayEnv struct {
	*testEnv
	acc, key    string
	path        string        // the captured request's replay route
	edgeURL     string        // the edge's public listener (http://127.0.0.1:port)
	secretsPath string        // the edge's sealed store file (webhooks_test.go)
	secrets     *sealed.Store // that store
}

func mustReplayEnv(tb testing.TB, plan string, origin http.Handler, tweak ...func(*Config)) *replayEnv {
	tb.Helper()
	fwd := &edgeReplayer{}
	secrets, secretsPath := mustSealed(tb) // webhooks_test.go
	e := mustEnv(tb, append([]func(*Config){func(c *Config) { c.Replayer, c.Webhooks, c.SecretsPath = fwd, fwd, secretsPath }}, tweak...)...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	es, err := edge.New(edge.Config{Log: e.log, BaseDomain: "warren.test", Subscriber: e.ps, API: e.srv.Handler(),
		PublicPort: ln.Addr().(*net.TCPAddr).Port, Secrets: secrets})
	if err != nil {
		tb.Fatal(err)
	}
	fwd.edge = es
	hs := edge.NewHTTPServer(es.Handler())
	served := make(chan struct{})
	go func() { defer close(served); hs.Serve(ln) }()
	ol, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	origSrv := &http.Server{Handler: origin}
	originDone := make(chan struct{})
	go func() { defer close(originDone); origSrv.Serve(ol) }()
	acc, key := e.account(tb, "replay@example.com", plan, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ag, err := agent.Dial(ctx, agent.Options{Server: "http://" + ln.Addr().String(), Key: key})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ag.Close(ctx)
		hs.Shutdown(ctx)
		es.Shutdown(ctx)
		<-served
		origSrv.Close()
		<-originDone
	})
	if _, err := ag.OpenHTTP(ctx, ol.Addr().String(), "hooks"); err != nil {
		tb.Fatal(err)
	}
	// One captured request, through the public side of the edge.
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+ln.Addr().String()+"/hook", strings.NewReader("original"))
	req.Host = "hooks.warren.test"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	var id string
	for deadline := time.Now().Add(10 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		rs, err := projections.View(e.log.DB(), func(tx *bolt.Tx) ([]domain.CapturedRequest, error) {
			return projections.Requests(tx, acc, "hooks", ulid.ULID{}, 1)
		})
		if err != nil {
			tb.Fatal(err)
		}
		if len(rs) == 1 {
			id = rs[0].ID
		}
	}
	if id == "" {
		tb.Fatal("the request was not captured")
	}
	return &replayEnv{testEnv: e, acc: acc, key: key, path: "/api/v1/me/tunnels/hooks/requests/req_" + id + "/replay",
		edgeURL: "http://" + ln.Addr().String(), secretsPath: secretsPath, secrets: secrets}
}

func TestReplayBodyOverThePlansCaptureLimitIs413(t *testing.T) {
	var got atomic.Int64 // the body length the local service last saw
	e := mustReplayEnv(t, "free", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
	}))
	capBytes := int64(1 << 20) // the free plan's CaptureBodyBytes
	t.Run("AtTheLimit", func(t *testing.T) {
		st, _, b := e.do(t, "POST", e.path, e.key, `{"body":"`+strings.Repeat("x", int(capBytes))+`"}`, "Content-Type", "application/json")
		wantStatus(t, st, 201, b)
		if got.Load() != capBytes {
			t.Fatalf("the local service got %d bytes, want %d", got.Load(), capBytes)
		}
	})
	t.Run("ErrOverTheLimit", func(t *testing.T) {
		got.Store(-1)
		st, _, b := e.do(t, "POST", e.path, e.key, `{"body":"`+strings.Repeat("x", int(capBytes)+1)+`"}`, "Content-Type", "application/json")
		wantError(t, st, b, 413, "too_large")
		if got.Load() != -1 {
			t.Fatal("a refused replay reached the local service")
		}
	})
	t.Run("ErrOverTheLimitChunked", func(t *testing.T) {
		// No Content-Length: refused while reading, at the document's bound.
		body := io.MultiReader(strings.NewReader(`{"body":"`), strings.NewReader(strings.Repeat("x", 3<<20)), strings.NewReader(`"}`))
		req, _ := http.NewRequest("POST", e.ts.URL+e.path, body)
		req.Header.Set("Authorization", "Bearer "+e.key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantError(t, resp.StatusCode, b, 413, "too_large")
	})
}

func TestReplaysPastThePerAccountLimitGet429(t *testing.T) {
	release := make(chan struct{})
	var arrived sync.WaitGroup
	e := mustReplayEnv(t, "pro", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			arrived.Done()
			<-release
		}
	}), func(c *Config) { c.ReplaysPerAccount = 3 })
	const n = 3
	arrived.Add(n)
	statuses := make(chan int, n)
	var running sync.WaitGroup
	for i := 0; i < n; i++ {
		running.Add(1)
		go func() {
			defer running.Done()
			// Not e.do: a goroutine must not end the test (t.Fatal).
			req, _ := http.NewRequest("POST", e.ts.URL+e.path, strings.NewReader(`{"path":"/slow"}`))
			req.Header.Set("Authorization", "Bearer "+e.key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	arrived.Wait() // n replays are held by the local service
	st, h, b := e.do(t, "POST", e.path, e.key, `{"path":"/fast"}`, "Content-Type", "application/json")
	wantError(t, st, b, 429, "quota")
	if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", h.Get("Retry-After"))
	}
	close(release)
	running.Wait()
	close(statuses)
	for st := range statuses {
		if st != 201 {
			t.Fatalf("a replay within the limit answered %d", st)
		}
	}
	// The slots are given back.
	st, _, b = e.do(t, "POST", e.path, e.key, `{"path":"/fast"}`, "Content-Type", "application/json")
	wantStatus(t, st, 201, b)
}
