package edge

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

// TestTunnelLeftByACrashIs503AtStart: tunnels a crashed process left live
// are closed `shutdown` at start; their names, and their account's
// verified custom domain, answer 503 with Retry-After from the first
// request (their agents are reconnecting), not 404.
func TestTunnelLeftByACrashIs503AtStart(t *testing.T) {
	l := logtest.OpenAt(t, filepath.Join(t.TempDir(), "warren.db"), events.Options{Applier: projections.New()})
	defer l.Close()
	projections.Init(l.DB())
	ctx := context.Background()
	secret, _ := domain.NewKeySecret(strings.NewReader(strings.Repeat("k", 64)))
	evs, err := l.Execute(ctx, projections.CreateAccount(projections.NewAccount{Email: "crash@example.com", Plan: "pro",
		KeyHash: domain.HashKeySecret(secret), KeyPrefix: "ak_"}))
	if err != nil {
		t.Fatal(err)
	}
	acc := projections.AccountIDFromEvents(evs)
	if _, err := l.Execute(ctx, projections.OpenTunnelCmd(projections.OpenTunnel{AccountID: acc, SessionID: "ses_old",
		Proto: domain.ProtoHTTP, Subdomain: "was-live", URL: func(s string, _ int) string { return "http://" + s }})); err != nil {
		t.Fatal(err)
	}
	evs, err = l.Execute(ctx, projections.AddDomain(acc, "hooks.example.org", "warren-verify=x", testBase))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Execute(ctx, projections.RecordDomainCheck(acc, projections.DomainIDFromEvents(evs), true, "")); err != nil {
		t.Fatal(err)
	}

	s, err := New(Config{Log: l, BaseDomain: testBase, API: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(ctx)
	for _, host := range []string{"was-live." + testBase, "hooks.example.org"} {
		req := httptest.NewRequest("GET", "http://"+host+"/", nil)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" ||
			!strings.Contains(w.Body.String(), "reconnecting") {
			t.Errorf("%s at start: %d Retry-After %q\n%s", host, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
	req := httptest.NewRequest("GET", "http://never-was."+testBase+"/", nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusNotFound {
		t.Errorf("an unknown name: %d, want 404", w.Code)
	}
}
