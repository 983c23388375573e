package edge

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"warren/edge/wire"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

func TestServer_Errors(t *testing.T) {
	te := MustEdge(t, func(c *Config) { c.ResponseHeaderTimeout = 300 * time.Millisecond })
	acc, key := te.MustAccount(t, "err@example.com", "pro")
	release := make(chan struct{})
	defer close(release)
	slow := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	ag := te.MustAgent(t, key)
	MustOpenHTTP(t, ag, slow, "slow-app")
	// A port nothing listens on: bind, note, close.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	MustOpenHTTP(t, ag, dead, "dead-app")
	n := 0

	get := func(t *testing.T, sub string, accept string) (int, string) {
		req, _ := http.NewRequest("GET", te.url(sub, "/x"), nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := te.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, string(b)
	}
	t.Run("HeaderTimeout504", func(t *testing.T) {
		code, body := get(t, "slow-app", "")
		if code != 504 || !strings.Contains(body, "did not answer") {
			t.Fatalf("%d %s", code, body)
		}
		n++
		cr := te.waitCaptured(t, acc, n)[0]
		if cr.Status != 504 || cr.Error != "timeout" {
			t.Fatalf("capture %+v", cr)
		}
	})
	t.Run("LocalRefused502JSON", func(t *testing.T) {
		code, body := get(t, "dead-app", "application/json")
		if code != 502 || !strings.Contains(body, `"error":"local_refused"`) {
			t.Fatalf("%d %s", code, body)
		}
		n++
		cr := te.waitCaptured(t, acc, n)[0]
		if cr.Status != 502 || cr.Error != "local_refused" || cr.Tunnel != "dead-app" {
			t.Fatalf("capture %+v", cr)
		}
	})
	t.Run("ErrBadKeyRefused", func(t *testing.T) {
		_, status := rawUpgrade(t, te.addr, "ak_notakey")
		if !strings.Contains(status, "401") {
			t.Fatalf("status line %q", status)
		}
	})
	t.Run("ErrConnectWithoutUpgrade", func(t *testing.T) {
		// The connect route answers as the API's routes do: the error code
		// that goes with the status, Allow on a 405, Upgrade on a 426.
		for _, c := range []struct {
			method       string
			status       int
			code, header string
			headerValue  string
		}{
			{"POST", 405, "method_not_allowed", "Allow", "GET"},
			{"OPTIONS", 200, "", "Allow", "GET"},
			{"GET", 426, "upgrade_required", "Upgrade", wire.Upgrade},
		} {
			req, _ := http.NewRequest(c.method, "http://"+testBase+wire.ConnectPath, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			res, err := te.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.status || res.Header.Get(c.header) != c.headerValue ||
				c.code != "" && !strings.Contains(string(b), `"error":"`+c.code+`"`) {
				t.Errorf("%s: %d %s: %q, body %s", c.method, res.StatusCode, c.header, res.Header.Get(c.header), b)
			}
		}
	})
}

func TestServer_CustomDomain(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "dom@example.com", "pro")
	_, keyB := te.MustAccount(t, "domb@example.com", "pro")
	ctx := context.Background()
	evs, err := te.log.Execute(ctx, projections.AddDomain(acc, "hooks.example.org", "warren-verify=x", testBase))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := te.log.Execute(ctx, projections.RecordDomainCheck(acc, projections.DomainIDFromEvents(evs), true, "")); err != nil {
		t.Fatal(err)
	}
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "custom:"+r.Host) }))

	t.Run("ErrOtherAccountsDomain", func(t *testing.T) {
		_, err := te.MustAgent(t, keyB).Open(ctx, agentSpecHTTP(origin, "", "hooks.example.org"))
		if domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("err %v", err)
		}
	})
	agA := te.MustAgent(t, key)
	t.Run("RoutesToTunnel", func(t *testing.T) {
		if _, err := agA.Open(ctx, agentSpecHTTP(origin, "dom-app", "hooks.example.org")); err != nil {
			t.Fatal(err)
		}
		res, err := te.client.Get("http://hooks.example.org/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(b) != "custom:hooks.example.org" {
			t.Fatalf("%d %s", res.StatusCode, b)
		}
	})
	t.Run("RemovedDomainUnbound", func(t *testing.T) {
		if _, err := te.log.Execute(ctx, projections.RemoveDomain(acc, projections.DomainIDFromEvents(evs))); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "hostname unbound", func() bool {
			res, err := te.client.Get("http://hooks.example.org/")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode == 404
		})
		// The tunnel itself stays up under its subdomain.
		res, err := te.client.Get(te.url("dom-app", "/"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("subdomain after domain removal: %d", res.StatusCode)
		}
	})
	t.Run("UnverifiedIs404", func(t *testing.T) {
		res, err := te.client.Get("http://other.example.org/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Fatalf("%d", res.StatusCode)
		}
	})
}

func TestNew_RepairsLeftoverTunnels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warren.db")
	l := logtest.OpenAt(t, path, events.Options{Applier: projections.New()})
	defer l.Close()
	projections.Init(l.DB())
	secret, _ := domain.NewKeySecret(strings.NewReader(strings.Repeat("k", 64)))
	evs, err := l.Execute(context.Background(), projections.CreateAccount(projections.NewAccount{Email: "r@example.com", Plan: "pro",
		KeyHash: domain.HashKeySecret(secret), KeyPrefix: "ak_"}))
	if err != nil {
		t.Fatal(err)
	}
	acc := projections.AccountIDFromEvents(evs)
	evs, err = l.Execute(context.Background(), projections.OpenTunnelCmd(projections.OpenTunnel{AccountID: acc, SessionID: "ses_old",
		Proto: domain.ProtoHTTP, Subdomain: "left-over", URL: func(s string, _ int) string { return "http://" + s }}))
	if err != nil {
		t.Fatal(err)
	}
	tun, _ := projections.TunnelFromEvents(evs)
	s, err := New(Config{Log: l, BaseDomain: testBase, API: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	var got domain.Tunnel
	l.DB().View(func(tx *bboltTx) error {
		got, err = projections.Tunnel(tx, tun.TunnelID)
		return err
	})
	if got.Live() || got.CloseReason != domain.CloseShutdown {
		t.Fatalf("leftover tunnel %+v", got)
	}
}
