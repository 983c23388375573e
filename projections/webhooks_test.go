package projections

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"testing"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// webhookWorkload adds a verifier to a name of the account's (a
// reservation's when it holds one, else an agent's for a made-up tunnel) and
// removes about half, so rebuild sees both event types.
func webhookWorkload(t *testing.T, l *events.Log, rng *mrand.Rand, acc string) {
	t.Helper()
	ctx := context.Background()
	sub := fmt.Sprintf("hook-%d", rng.IntN(50))
	d := events.WebhookVerifierAddedData{SecretID: fmt.Sprintf("sec_%016x", rng.Uint64()), Fingerprint: "fp_0123456789abcdef",
		Subdomain: sub, TunnelID: "tun_x", Provider: "stripe"}
	if _, err := l.Execute(ctx, AddWebhook(acc, d)); err != nil {
		t.Fatal(err)
	}
	if rng.IntN(2) == 0 {
		if _, err := l.Execute(ctx, RemoveWebhook(acc, sub, d.SecretID, "tunnel_closed")); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWebhooks_AddListRemove(t *testing.T) {
	l := MustOpenLog(t)
	ctx := context.Background()
	acc, _ := MustAccount(t, l, "ada@example.com", "free")
	list := func() []Webhook {
		ws, err := View(l.DB(), func(tx *bolt.Tx) ([]Webhook, error) { return Webhooks(tx, "hooks") })
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	d := events.WebhookVerifierAddedData{SecretID: "sec_A", Fingerprint: "fp_1", Subdomain: "hooks", Provider: "github"}
	t.Run("ErrNotReserved", func(t *testing.T) {
		if _, err := l.Execute(ctx, AddWebhook(acc, d)); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("err %v, want not found", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if _, err := l.Execute(ctx, Reserve(acc, "hooks")); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Execute(ctx, AddWebhook(acc, d)); err != nil {
			t.Fatal(err)
		}
		if ws := list(); len(ws) != 1 || ws[0].SecretID != "sec_A" || ws[0].Provider != "github" || ws[0].AccountID != acc {
			t.Fatalf("list %+v", ws)
		}
		if _, err := l.Execute(ctx, RemoveWebhook("acc_other", "hooks", "sec_A", "removed")); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("another account removed it: %v", err)
		}
		if _, err := l.Execute(ctx, RemoveWebhook(acc, "hooks", "sec_A", "removed")); err != nil {
			t.Fatal(err)
		}
		if ws := list(); len(ws) != 0 {
			t.Fatalf("after remove %+v", ws)
		}
	})
}
