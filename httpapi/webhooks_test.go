package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warren/edge/sealed"
	"warren/projections"
)

func (r *edgeReplayer) AddReservationWebhook(ctx context.Context, acc, sub, spec string, enforce bool) (projections.Webhook, error) {
	return r.edge.AddReservationWebhook(ctx, acc, sub, spec, enforce)
}

func (r *edgeReplayer) RemoveReservationWebhook(ctx context.Context, acc, sub, id string) error {
	return r.edge.RemoveReservationWebhook(ctx, acc, sub, id)
}

// mustSealed opens a sealed store in a temp dir, closed at cleanup.
// It returns the store and its file's path.
func mustSealed(tb testing.TB) (*sealed.Store, string) {
	tb.Helper()
	dir := tb.TempDir()
	path := filepath.Join(dir, "secrets.sealed")
	st, err := sealed.Open(sealed.Options{Path: path, KeyPath: filepath.Join(dir, "secrets.key")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st, path
}

// webhookCases are the contract's cases for a reservation's verifiers
// (stripe-dev is reserved by key's account when they run): each route's
// success and errors, and no answer ever holds the secret.
func webhookCases(t *testing.T, ctx context.Context, k *contract, u func(string) string, key string) {
	t.Helper()
	const secret = "It's a Secret to Everybody"
	base := u("/api/v1/me/reservations/stripe-dev/webhooks")
	_, b := k.send(t, ctx, 201, "POST", base, key, `{"spec":"github:`+secret+`","enforce":true}`)
	var added struct {
		ID, Provider, Fingerprint string
		Enforce                   bool
	}
	if err := json.Unmarshal(b, &added); err != nil || !strings.HasPrefix(added.ID, "sec_") || added.Provider != "github" || !added.Enforce {
		t.Fatalf("added %s (%v)", b, err)
	}
	_, bad := k.send(t, ctx, 400, "POST", base, key, `{"spec":"stripe:sk_live_NOTASIGNINGSECRET"}`)
	k.send(t, ctx, 404, "POST", u("/api/v1/me/reservations/not-mine/webhooks"), key, `{"spec":"github:x"}`)
	_, list := k.send(t, ctx, 200, "GET", base, key, "")
	k.send(t, ctx, 404, "GET", u("/api/v1/me/reservations/not-mine/webhooks"), key, "")
	for _, answer := range [][]byte{b, bad, list} {
		if strings.Contains(string(answer), "Secret to Everybody") || strings.Contains(string(answer), "NOTASIGNINGSECRET") {
			t.Fatalf("an answer holds a secret: %s", answer)
		}
	}
	if !strings.Contains(string(list), added.ID) {
		t.Fatalf("list %s lacks %s", list, added.ID)
	}
	// The request lists' ?webhook= filter (requests_filter_webhook.go).
	k.send(t, ctx, 200, "GET", u("/api/v1/me/tunnels/hooks/requests?webhook=unverified"), key, "")
	k.send(t, offContract(ctx), 400, "GET", u("/api/v1/me/tunnels/hooks/requests?webhook=maybe"), key, "")
	k.send(t, ctx, 204, "DELETE", base+"/"+added.ID, key, "")
	k.send(t, ctx, 404, "DELETE", base+"/"+added.ID, key, "")
}

// backupSecretsCases: the sealed store file is served to operators only,
// and 404s once it is gone (also: before any secret was stored).
func backupSecretsCases(t *testing.T, ctx context.Context, k *contract, u func(string) string, op, key, path string) {
	t.Helper()
	// The store file exists: webhookCases stored a secret (and removed it).
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, b := k.send(t, ctx, 200, "GET", u("/api/v1/admin/backup/secrets"), op, "")
	if !bytes.Equal(b, want) {
		t.Fatalf("served %d bytes, the store file has %d", len(b), len(want))
	}
	k.send(t, ctx, 403, "GET", u("/api/v1/admin/backup/secrets"), key, "")
}

// TestReleasingAReservationDestroysItsVerifiersSecrets: a released
// reservation's webhook verifiers are removed (events) and their sealed
// secrets destroyed; left behind, nobody could ever remove them.
func TestReleasingAReservationDestroysItsVerifiersSecrets(t *testing.T) {
	re := mustReplayEnv(t, "pro", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	st, _, b := re.do(t, "POST", "/api/v1/me/reservations", re.key, `{"subdomain":"billing-hooks"}`)
	wantStatus(t, st, 201, b)
	st, _, b = re.do(t, "POST", "/api/v1/me/reservations/billing-hooks/webhooks", re.key, `{"spec":"github:It's a Secret to Everybody"}`)
	wantStatus(t, st, 201, b)
	var added struct{ ID string }
	mustJSON(t, b, &added)
	if _, err := re.secrets.Get(added.ID); err != nil {
		t.Fatalf("the secret is not sealed: %v", err)
	}
	st, _, b = re.do(t, "DELETE", "/api/v1/me/reservations/billing-hooks", re.key, "")
	wantStatus(t, st, 204, b)
	if _, err := re.secrets.Get(added.ID); err == nil {
		t.Fatal("the released reservation's verifier secret is still in the sealed store")
	}
	// Reserved again, the name starts with no verifier.
	st, _, b = re.do(t, "POST", "/api/v1/me/reservations", re.key, `{"subdomain":"billing-hooks"}`)
	wantStatus(t, st, 201, b)
	st, _, b = re.do(t, "GET", "/api/v1/me/reservations/billing-hooks/webhooks", re.key, "")
	wantStatus(t, st, 200, b)
	if !strings.Contains(string(b), `"webhooks":[]`) {
		t.Fatalf("verifiers after release and re-reserve: %s", b)
	}
}
