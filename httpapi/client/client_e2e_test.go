package client_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
	"warren/httpapi"
	"warren/httpapi/client"
	"warren/projections"
)

// realAPI is Warren's API over a real log in a temp dir, on 127.0.0.1:0.
type realAPI struct {
	srv *httptest.Server
	log *events.Log
}

func startRealAPI(t *testing.T) *realAPI {
	t.Helper()
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024}, watermill.NopLogger{})
	l, _ := logtest.Open(t, events.Options{Applier: projections.New(), Publisher: bus})
	if err := projections.Init(l.DB()); err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{Log: l, BaseDomain: "warren.test", Subscriber: bus, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		l.Close()
		bus.Close()
	})
	return &realAPI{srv: srv, log: l}
}

// account creates an account and returns its id and a client with its key.
func (a *realAPI) account(t *testing.T, email, plan string) (string, *client.Client) {
	t.Helper()
	secret, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := a.log.Execute(context.Background(), projections.CreateAccount(projections.NewAccount{Email: email, Plan: plan,
		KeyHash: domain.HashKeySecret(secret), KeyPrefix: domain.KeyShownPrefix(secret)}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(a.srv.URL, secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	return projections.AccountIDFromEvents(evs), c
}

func (a *realAPI) capture(t *testing.T, acc, tunnel, path string) {
	t.Helper()
	if _, err := a.log.Append(context.Background(), events.Draft{Type: events.RequestCaptured, Account: acc, Data: domain.CapturedRequest{
		Tunnel: tunnel, Kind: domain.KindHTTP, Method: "GET", Path: path, Status: 200, BytesIn: 1, BytesOut: 2}}); err != nil {
		t.Fatal(err)
	}
}

// wantAPIError fails unless err is the API's status and code.
func wantAPIError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var ae *client.Error
	if !errors.As(err, &ae) || ae.Status != status || ae.Code != code || ae.Message == "" {
		t.Fatalf("err = %#v, want HTTP %d %q with a message", err, status, code)
	}
}

func TestClient_AgainstTheAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := startRealAPI(t)
	acc, c := a.account(t, "a@example.com", domain.PlanFree)
	_, other := a.account(t, "b@example.com", domain.PlanFree)

	t.Run("Me", func(t *testing.T) {
		me, err := c.Me(ctx)
		if err != nil || me.ID != acc || me.Email != "a@example.com" || me.Plan != "free" {
			t.Fatalf("Me = %+v, %v", me, err)
		}
		bad, _ := client.New(a.srv.URL, "ak_nope", nil)
		_, err = bad.Me(ctx)
		wantAPIError(t, err, 401, "unauthorized")
	})
	t.Run("Keys", func(t *testing.T) {
		k, err := c.CreateKey(ctx, "ci")
		if err != nil || domain.CheckKeySecret(k.Secret) != nil {
			t.Fatalf("CreateKey = %+v, %v", k, err)
		}
		ks, err := c.Keys(ctx)
		if err != nil || len(ks) != 2 || ks[0].ID != k.ID || ks[0].Secret != "" {
			t.Fatalf("Keys = %+v, %v", ks, err)
		}
		wantAPIError(t, other.RevokeKey(ctx, k.ID), 404, "not_found")
		if err := c.RevokeKey(ctx, k.ID); err != nil {
			t.Fatal(err)
		}
		wantAPIError(t, c.RevokeKey(ctx, ks[1].ID), 409, "conflict")
	})
	t.Run("Reservations", func(t *testing.T) {
		if _, err := c.Reserve(ctx, "my-app"); err != nil {
			t.Fatal(err)
		}
		_, err := other.Reserve(ctx, "my-app")
		wantAPIError(t, err, 409, "conflict")
		rs, err := c.Reservations(ctx)
		if err != nil || len(rs) != 1 || rs[0].Subdomain != "my-app" || rs[0].CreatedAt.IsZero() {
			t.Fatalf("Reservations = %+v, %v", rs, err)
		}
		if err := c.Release(ctx, "my-app"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("DomainsAndUsage", func(t *testing.T) {
		d, err := c.AddDomain(ctx, "app.example.com")
		if err != nil || d.TXTRecord.Name != "_warren-challenge.app.example.com" || d.State != "pending" {
			t.Fatalf("AddDomain = %+v, %v", d, err)
		}
		ds, err := c.Domains(ctx)
		if err != nil || len(ds) != 1 || ds[0].ID != d.ID {
			t.Fatalf("Domains = %+v, %v", ds, err)
		}
		u, err := c.Usage(ctx)
		if err != nil || u.Plan != "free" || *u.Used.Domains != 1 || *u.Limits.Domains != 2 {
			t.Fatalf("Usage = %+v, %v", u, err)
		}
		wantAPIError(t, other.RemoveDomain(ctx, d.ID), 404, "not_found")
		if err := c.RemoveDomain(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		days, err := c.UsageHistory(ctx, "2026-01-01", "2026-01-03", "")
		if err != nil || len(days) != 3 || days[2].Date != "2026-01-03" {
			t.Fatalf("UsageHistory = %+v, %v", days, err)
		}
		_, err = c.UsageHistory(ctx, "2026-01-03", "2026-01-01", "")
		wantAPIError(t, err, 400, "invalid")
	})
	t.Run("RequestsFollowsPages", func(t *testing.T) {
		for i := range 250 {
			a.capture(t, acc, "app", fmt.Sprintf("/%d", i))
		}
		rs, err := c.Requests(ctx, "app", 230)
		if err != nil || len(rs) != 230 {
			t.Fatalf("Requests = %d, %v", len(rs), err)
		}
		seen := map[string]bool{}
		for i, r := range rs {
			if r.Path != fmt.Sprintf("/%d", 249-i) || seen[r.ID] {
				t.Fatalf("request %d = %+v", i, r)
			}
			seen[r.ID] = true
		}
		all, err := c.Requests(ctx, "", 1000)
		if err != nil || len(all) != 250 {
			t.Fatalf("all Requests = %d, %v", len(all), err)
		}
		if rs, err := other.Requests(ctx, "app", 10); err != nil || len(rs) != 0 {
			t.Fatalf("b sees %d of a's requests, %v", len(rs), err)
		}
	})
}

// TestClient_FollowRequestsAcrossDrops follows a real stream while the
// server's connections are cut under it: every event arrives once, in order.
func TestClient_FollowRequestsAcrossDrops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := startRealAPI(t)
	acc, c := a.account(t, "a@example.com", domain.PlanFree)
	const total = 600

	// Start after a first event, so the stream resumes from the log and no
	// event can fall before the subscription.
	a.capture(t, acc, "app", "/start")
	first, err := c.Requests(ctx, "app", 1)
	if err != nil || len(first) != 1 {
		t.Fatalf("Requests = %v, %v", first, err)
	}
	var (
		mu  sync.Mutex
		got []string
	)
	followed := make(chan error, 1)
	go func() {
		followed <- c.FollowRequests(ctx, "app", first[0].ID, func(r client.Request) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, r.Path)
			if len(got) == total {
				cancel()
			}
			return nil
		})
	}()
	a.capture(t, acc, "other", "/x") // another tunnel's: never delivered
	for i := range total {
		a.capture(t, acc, "app", fmt.Sprintf("/%d", i))
		if i%97 == 50 {
			a.srv.CloseClientConnections()
		}
	}
	select {
	case err := <-followed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(50 * time.Second):
		t.Fatal("the stream did not deliver every event")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != total {
		t.Fatalf("got %d events, want %d", len(got), total)
	}
	for i, p := range got {
		if p != fmt.Sprintf("/%d", i) {
			t.Fatalf("event %d is %s: %s", i, p, strings.Join(got[max(0, i-3):i+1], " "))
		}
	}
}
