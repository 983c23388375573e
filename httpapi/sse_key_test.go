package httpapi

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"warren/domain"
	"warren/projections"
)

// TestSSEStreamEndsWithin1sOfRevocation: every stream opened with a key
// ends (the response is over) within 1 s of that key's revocation, while
// nothing else is happening on the stream (no heartbeat, no event).
func TestSSEStreamEndsWithin1sOfRevocation(t *testing.T) {
	for _, path := range []string{
		"/api/v1/me/requests/stream",
		"/api/v1/me/tunnels/stripe-dev/requests/stream",
		"/api/v1/me/events/stream",
	} {
		t.Run(path, func(t *testing.T) {
			e := mustEnv(t, func(c *Config) { c.Heartbeat = time.Hour })
			acc, key := e.account(t, "ada@example.com", "pro", false)
			spare, err := domain.NewKeySecret(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.log.Execute(context.Background(), projections.CreateKey(acc, domain.HashKeySecret(spare), domain.KeyShownPrefix(spare), "spare")); err != nil {
				t.Fatal(err)
			}
			c := e.openSSE(t, path, key, "")
			defer c.close()
			ended := make(chan error, 1)
			go func() {
				for {
					if _, err := c.next(); err != nil {
						ended <- err
						return
					}
				}
			}()
			// Revoked through the API with the other key, as a user would.
			st, _, b := e.do(t, "DELETE", "/v1/keys/"+mustKeyID(t, e, key), spare, "")
			wantStatus(t, st, 204, b)
			revokedAt := time.Now()
			select {
			case <-ended:
				if d := time.Since(revokedAt); d > time.Second {
					t.Fatalf("the stream ended %v after the revocation, want within 1 s", d)
				}
			case <-time.After(5 * time.Second):
				c.close()
				<-ended
				t.Fatal("the stream still delivered 5 s after its key was revoked")
			}
			// And it cannot be reopened with the revoked key.
			st, _, b = e.do(t, "GET", path, key, "")
			wantError(t, st, b, 401, "unauthorized")
		})
	}
}

// TestSSEStreamOutlivesOtherKeysRevocation: revoking another key of the
// account leaves the stream open.
func TestSSEStreamOutlivesOtherKeysRevocation(t *testing.T) {
	e := mustEnv(t, func(c *Config) { c.Heartbeat = 20 * time.Millisecond })
	acc, key := e.account(t, "ada@example.com", "pro", false)
	other, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.log.Execute(context.Background(), projections.CreateKey(acc, domain.HashKeySecret(other), domain.KeyShownPrefix(other), "other")); err != nil {
		t.Fatal(err)
	}
	c := e.openSSE(t, "/api/v1/me/requests/stream", key, "")
	defer c.close()
	st, _, b := e.do(t, "DELETE", "/v1/keys/"+mustKeyID(t, e, other), key, "")
	wantStatus(t, st, 204, b)
	// Heartbeats keep coming well after the revocation was published.
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		if _, err := c.next(); err != nil {
			t.Fatalf("the stream ended after another key's revocation: %v", err)
		}
	}
}
