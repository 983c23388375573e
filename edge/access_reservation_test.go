package edge

import (
	"context"
	"net/http"
	"testing"
	"time"

	"warren/domain"
	"warren/edge/wire"
	"warren/projections"
)

// TestReservationAccessRulesGuardItsTunnels: a reservation's rules (set
// over the API, recorded as reservation.access_set) apply to whichever
// agent opens the name, change a live tunnel at once, and the agent's own
// flags add users to them.
func TestReservationAccessRulesGuardItsTunnels(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "shop@example.com", "pro")
	ctx := context.Background()
	if _, err := te.log.Execute(ctx, projections.Reserve(acc, "shop")); err != nil {
		t.Fatal(err)
	}
	ada := mustCred(t, "ada:reservation-pass")
	set := func(r domain.AccessRules) {
		t.Helper()
		if _, err := te.log.Execute(ctx, projections.SetReservationAccess(acc, "shop", r)); err != nil {
			t.Fatal(err)
		}
	}
	set(domain.AccessRules{DenyCIDR: []string{"127.0.0.0/8"}})
	o := &seenOrigin{}
	c := te.MustAgent(t, key)
	spec := agentSpecHTTP(MustOrigin(t, o), "shop", "")
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.Open(octx, spec); err != nil {
		t.Fatal(err)
	}
	if res := te.get(t, te.url("shop", "/")); res.StatusCode != 403 {
		t.Fatalf("an agent without flags on a denying reservation: %d", res.StatusCode)
	}
	set(domain.AccessRules{})
	eventually(t, 5*time.Second, "the cleared rules to reach the live tunnel", func() bool {
		return te.get(t, te.url("shop", "/")).StatusCode == 200
	})
	set(domain.AccessRules{BasicAuth: []domain.AccessCredential{{User: ada.User, Hash: ada.Hash}}})
	eventually(t, 5*time.Second, "the new rules to reach the live tunnel", func() bool {
		return te.get(t, te.url("shop", "/")).StatusCode == 401
	})
	if hits, _ := o.seen(); hits != 1 {
		t.Fatalf("local service reached %d times, want 1", hits)
	}

	// A second agent on the name, with a user of its own: both users get in.
	if err := c.Close(octx); err != nil {
		t.Fatal(err)
	}
	c2 := te.MustAgent(t, key)
	spec.Access = &wire.Access{BasicAuth: []wire.Credential{mustCred(t, "bob:agent-flag-pass")}}
	eventually(t, 5*time.Second, "the name to be free again", func() bool {
		_, err := c2.Open(octx, spec)
		return err == nil
	})
	for _, up := range [][2]string{{"ada", "reservation-pass"}, {"bob", "agent-flag-pass"}} {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(up[0], up[1])
		if res := te.get(t, te.url("shop", "/"), "Authorization", req.Header.Get("Authorization")); res.StatusCode != 200 {
			t.Fatalf("%s: %d", up[0], res.StatusCode)
		}
	}
	if res := te.get(t, te.url("shop", "/")); res.StatusCode != 401 {
		t.Fatalf("no password: %d", res.StatusCode)
	}
}
