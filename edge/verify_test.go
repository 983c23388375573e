package edge

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	stripe "github.com/stripe/stripe-go/v82"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"warren/domain"
	"warren/edge/sealed"
	"warren/projections"
)

// testClock is an injected Config.Now a test moves.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) now() time.Time        { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) set(t time.Time)       { c.ns.Store(t.UnixNano()) }
func withClock(c *testClock) edgeOpt       { return func(cfg *Config) { cfg.Now = c.now } }
func withSecrets(st *sealed.Store) edgeOpt { return func(cfg *Config) { cfg.Secrets = st } }

// mustSealed opens a sealed store in a temp dir, closed at cleanup.
func mustSealed(tb testing.TB) *sealed.Store {
	tb.Helper()
	dir := tb.TempDir()
	st, err := sealed.Open(sealed.Options{Path: filepath.Join(dir, "secrets.sealed"), KeyPath: filepath.Join(dir, "secrets.key")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

const stripeSecret = "whsec_test_0123456789abcdef"

// stripeEvent is an event stripe-go's ConstructEvent parses (its
// api_version must be the SDK's), signed at signedAt.
func stripeEvent(signedAt time.Time) ([]byte, string) {
	body := []byte(`{"id":"evt_1","object":"event","type":"invoice.paid","api_version":"` + stripe.APIVersion + `","data":{"object":{}}}`)
	sig := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: stripeSecret, Timestamp: signedAt}).Header
	return body, sig
}

// stripeReceiver is a local service that answers 200 to what stripe-go's
// ConstructEvent accepts (with the real clock, as a developer's handler
// would) and 400 to the rest.
func stripeReceiver(tb testing.TB) string {
	return MustOrigin(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if _, err := stripewebhook.ConstructEvent(b, r.Header.Get("Stripe-Signature"), stripeSecret); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, "ok")
	}))
}

func (te *testEdge) post(tb testing.TB, sub string, body []byte, h map[string]string) int {
	tb.Helper()
	req, _ := http.NewRequest("POST", te.url(sub, "/stripe"), strings.NewReader(string(body)))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := te.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestStripeReplayHeldPastToleranceIsResignedAndAccepted: a Stripe event
// verified at capture, replayed an hour later (the edge's clock injected)
// byte for byte is refused by stripe-go in the local service, and replayed
// with Resign is accepted; the replay's capture says it was re-signed and
// which header changed.
func TestStripeReplayHeldPastToleranceIsResignedAndAccepted(t *testing.T) {
	clock := &testClock{}
	signedAt := time.Now().Add(-time.Hour).Truncate(time.Second)
	clock.set(signedAt.Add(2 * time.Second))
	te := MustEdge(t, withClock(clock), withSecrets(mustSealed(t)))
	acc, key := te.MustAccount(t, "stripe@example.com", "pro")
	ag := te.MustAgent(t, key)
	spec := agentSpecHTTP(stripeReceiver(t), "stripe-dev", "")
	spec.Webhooks = []string{"stripe:" + stripeSecret}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := ag.Open(ctx, spec); err != nil {
		t.Fatal(err)
	}
	body, sig := stripeEvent(signedAt)
	// The receiver checks with the real clock: the delivery is an hour old
	// for it, so it answers 400; the edge (at signedAt+2s) verifies it.
	te.post(t, "stripe-dev", body, map[string]string{"Stripe-Signature": sig, "Content-Type": "application/json"})
	orig := te.waitCaptured(t, acc, 1)[0]
	if orig.Webhook == nil || !orig.Webhook.Verified || orig.Webhook.Provider != "stripe" {
		t.Fatalf("capture's webhook %+v, want verified stripe", orig.Webhook)
	}
	clock.set(time.Now())
	id := ulid.MustParse(orig.ID)

	exact, err := te.srv.Replay(ctx, acc, "stripe-dev", id, domain.ReplayOverrides{})
	if err != nil {
		t.Fatal(err)
	}
	if exact.Status != http.StatusBadRequest || exact.Webhook == nil || exact.Webhook.Reason != "timestamp_expired" || exact.Webhook.Resigned {
		t.Fatalf("byte-exact replay: status %d webhook %+v, want 400 from stripe-go and timestamp_expired", exact.Status, exact.Webhook)
	}
	cr, err := te.srv.Replay(ctx, acc, "stripe-dev", id, domain.ReplayOverrides{Resign: true})
	if err != nil {
		t.Fatal(err)
	}
	if cr.Status != http.StatusOK {
		t.Fatalf("re-signed replay: status %d, want 200 (stripe-go accepted it)", cr.Status)
	}
	w := cr.Webhook
	if w == nil || !w.Verified || !w.Resigned || len(w.ChangedHeaders) != 1 || w.ChangedHeaders[0] != "Stripe-Signature" {
		t.Fatalf("re-signed replay's webhook %+v", w)
	}
	if stored := te.request(t, acc, cr.ID); stored.Webhook == nil || !stored.Webhook.Resigned {
		t.Fatalf("stored capture's webhook %+v", stored.Webhook)
	}
}

// TestEnforcedVerifierRefusesBadSignatureBeforeTheAgent: with enforce, a
// tampered delivery is answered 401 by the edge, captured with that
// outcome, and never reaches the local service; a genuine one passes.
func TestEnforcedVerifierRefusesBadSignatureBeforeTheAgent(t *testing.T) {
	te := MustEdge(t, withSecrets(mustSealed(t)))
	acc, key := te.MustAccount(t, "enforce@example.com", "pro")
	var reached atomic.Int64
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		io.Copy(io.Discard, r.Body)
	}))
	ag := te.MustAgent(t, key)
	spec := agentSpecHTTP(origin, "strict", "")
	spec.Webhooks, spec.WebhookEnforce = []string{"stripe:" + stripeSecret}, true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := ag.Open(ctx, spec); err != nil {
		t.Fatal(err)
	}
	body, sig := stripeEvent(time.Now())
	if got := te.post(t, "strict", []byte(strings.Replace(string(body), "evt_1", "evt_2", 1)), map[string]string{"Stripe-Signature": sig}); got != http.StatusUnauthorized {
		t.Fatalf("tampered: %d, want 401", got)
	}
	if got := te.post(t, "strict", body, nil); got != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d, want 401", got)
	}
	if reached.Load() != 0 {
		t.Fatalf("a refused delivery reached the local service")
	}
	if got := te.post(t, "strict", body, map[string]string{"Stripe-Signature": sig}); got != http.StatusOK {
		t.Fatalf("genuine: %d, want 200", got)
	}
	caps := te.waitCaptured(t, acc, 3) // newest first
	want := []struct {
		verified bool
		reason   string
		status   int
	}{{true, "", 200}, {false, "missing_signature", 401}, {false, "signature_mismatch", 401}}
	for i, w := range want {
		c := caps[i]
		if c.Webhook == nil || c.Webhook.Verified != w.verified || c.Webhook.Reason != w.reason || c.Status != w.status ||
			c.Webhook.Enforced == w.verified {
			t.Errorf("capture %d: status %d webhook %+v, want %+v", i, c.Status, c.Webhook, w)
		}
	}
	if reached.Load() != 1 {
		t.Fatalf("local service reached %d times, want 1", reached.Load())
	}
	if c := caps[2]; c.ReqBody.Size != int64(len(body)) {
		t.Fatalf("the refused delivery's body was not captured: %+v", c.ReqBody)
	}
}

// TestAgentVerifierSecretDestroyedWithItsTunnel: an agent's verifiers end
// with its tunnel, and their secrets leave the sealed store.
func TestAgentVerifierSecretDestroyedWithItsTunnel(t *testing.T) {
	st := mustSealed(t)
	te := MustEdge(t, withSecrets(st))
	_, key := te.MustAccount(t, "gone@example.com", "pro")
	ag := te.MustAgent(t, key)
	spec := agentSpecHTTP(MustOrigin(t, http.NotFoundHandler()), "brief", "")
	spec.Webhooks = []string{"github:It's a Secret to Everybody", "hmac-sha256:X-Sig:s3cret"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := ag.Open(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if n := len(st.List()); n != 2 {
		t.Fatalf("%d secrets sealed, want 2", n)
	}
	if err := ag.Close(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "secrets destroyed", func() bool { return len(st.List()) == 0 })
}

// TestVerifyWebhookSpecsAreChecked: a bad spec refuses the open and never
// echoes the secret; a server without a sealed store refuses verifiers.
func TestVerifyWebhookSpecsAreChecked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t.Run("ErrBadSpec", func(t *testing.T) {
		te := MustEdge(t, withSecrets(mustSealed(t)))
		_, key := te.MustAccount(t, "bad@example.com", "pro")
		spec := agentSpecHTTP(MustOrigin(t, http.NotFoundHandler()), "bad", "")
		spec.Webhooks = []string{"stripe:sk_live_SECRETVALUE"}
		_, err := te.MustAgent(t, key).Open(ctx, spec)
		if err == nil || strings.Contains(err.Error(), "SECRETVALUE") {
			t.Fatalf("err %v: want a refusal that does not quote the secret", err)
		}
	})
	t.Run("ErrNoStore", func(t *testing.T) {
		te := MustEdge(t)
		_, key := te.MustAccount(t, "nostore@example.com", "pro")
		spec := agentSpecHTTP(MustOrigin(t, http.NotFoundHandler()), "nostore", "")
		spec.Webhooks = []string{"github:x"}
		if _, err := te.MustAgent(t, key).Open(ctx, spec); err == nil {
			t.Fatal("opened with a verifier and no sealed store")
		}
	})
}

// TestReservationVerifierAppliesToTheLiveTunnel: a verifier added over the
// API to a reservation applies to its live tunnel from the next delivery,
// and once removed, deliveries carry no verdict and its secret is gone.
func TestReservationVerifierAppliesToTheLiveTunnel(t *testing.T) {
	st := mustSealed(t)
	te := MustEdge(t, withSecrets(st))
	acc, key := te.MustAccount(t, "resv@example.com", "pro")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := te.log.Execute(ctx, projections.Reserve(acc, "kept")); err != nil {
		t.Fatal(err)
	}
	MustOpenHTTP(t, te.MustAgent(t, key), stripeReceiver(t), "kept")
	body, sig := stripeEvent(time.Now())
	h := map[string]string{"Stripe-Signature": sig}
	te.post(t, "kept", body, h)
	if c := te.waitCaptured(t, acc, 1)[0]; c.Webhook != nil {
		t.Fatalf("a verdict before any verifier: %+v", c.Webhook)
	}
	w, err := te.srv.AddReservationWebhook(ctx, acc, "kept", "stripe:"+stripeSecret, false)
	if err != nil {
		t.Fatal(err)
	}
	te.post(t, "kept", body, h)
	if c := te.waitCaptured(t, acc, 2)[0]; c.Webhook == nil || !c.Webhook.Verified {
		t.Fatalf("after adding: %+v", c.Webhook)
	}
	if err := te.srv.RemoveReservationWebhook(ctx, acc, "kept", w.SecretID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(w.SecretID); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("the removed verifier's secret: %v", err)
	}
	te.post(t, "kept", body, h)
	if c := te.waitCaptured(t, acc, 3)[0]; c.Webhook != nil {
		t.Fatalf("after removing: %+v", c.Webhook)
	}
	if _, err := te.srv.AddReservationWebhook(ctx, acc, "not-reserved", "github:x", false); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("a name not reserved: %v", err)
	}
	if n := len(st.List()); n != 0 {
		t.Fatalf("%d secrets left after a refused add", n)
	}
}
