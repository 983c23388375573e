package cli

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/cmd/warren/internal/server"
	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
	"warren/events"
	"warren/events/logtest"
	"warren/httpapi"
	"warren/projections"
)

// apiServer is the real API in-process (so the test can append to its
// log), on 127.0.0.1:0, that the real binary talks to.
type apiServer struct {
	URL string
	Log *events.Log
	key string // the first account's first key
}

// startAPIServer runs httpapi over a log in a temp dir; dnsResolver is its
// --dns-resolver.
func startAPIServer(t *testing.T, dnsResolver string) *apiServer {
	t.Helper()
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 64}, watermill.NopLogger{})
	l, _ := logtest.Open(t, events.Options{Applier: projections.New(), Publisher: bus})
	if err := projections.Init(l.DB()); err != nil {
		t.Fatal(err)
	}
	resolver, err := httpapi.NewDNSResolver(dnsResolver)
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{Log: l, BaseDomain: "localhost", Subscriber: bus, Resolver: resolver,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		srv.Close()
		l.Close()
		bus.Close()
	})
	key, _, err := server.CreateAccount(context.Background(), l, projections.NewAccount{
		Email: "operator@localhost", Name: "Operator", Plan: domain.PlanPro, Operator: true})
	if err != nil {
		t.Fatal(err)
	}
	return &apiServer{URL: srv.URL, Log: l, key: key}
}

// liveWarren is a running `warren …` child whose stdout is read by line.
type liveWarren struct {
	lines  chan string
	stderr *bytes.Buffer
}

// startWarren starts the binary until ctx ends (or the test does).
func startWarren(t *testing.T, ctx context.Context, env []string, args ...string) *liveWarren {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, warrentest.Bin(), args...)
	cmd.Env = warrentest.ChildEnv(env...)
	r := &liveWarren{lines: make(chan string, 100), stderr: &bytes.Buffer{}}
	cmd.Stderr = r.stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			select {
			case r.lines <- sc.Text():
			case <-ctx.Done():
			}
		}
		close(r.lines)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		cmd.Wait()
		if t.Failed() {
			t.Logf("warren %s stderr: %s", strings.Join(args, " "), r.stderr.String())
		}
	})
	return r
}

// nextLine waits (10 s at most) for the child's next line of stdout.
func (r *liveWarren) nextLine(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-r.lines:
		if !ok {
			t.Fatal("warren exited early") // stderr is read only after Wait, in cleanup
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("no line within 10 s")
	}
	return ""
}
