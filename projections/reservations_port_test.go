package projections

import (
	"context"
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

func openTCP(acc string, port int) OpenTunnel {
	return OpenTunnel{AccountID: acc, SessionID: "ses_1", Proto: domain.ProtoTCP, Port: port, RemoteAddr: "127.0.0.1"}
}

// TestReservedPortIsRefusedToOtherAccounts: the open command itself (not
// only the edge's choice of port) refuses another account's reserved
// port, grants it to its holder, and the plan caps reserved ports apart
// from reserved subdomains.
func TestReservedPortIsRefusedToOtherAccounts(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanFree)
	b, _ := MustAccount(t, l, "b@example.com", domain.PlanPro)
	MustExec(t, l, ReservePort(a, 20001, 20000, 20009))
	MustExec(t, l, Reserve(a, "a-sub")) // its own quota
	code := func(err error) domain.Code {
		var de *domain.Error
		if errors.As(err, &de) {
			return de.Code
		}
		return ""
	}
	if _, err := l.Execute(context.Background(), ReservePort(a, 20002, 20000, 20009)); code(err) != domain.CodeQuota {
		t.Fatalf("a second reserved port on the free plan: %v", err)
	}
	if _, err := l.Execute(context.Background(), OpenTunnelCmd(openTCP(b, 20001))); code(err) != domain.CodeConflict {
		t.Fatalf("another account opening on the reserved port: %v", err)
	}
	MustExec(t, l, OpenTunnelCmd(openTCP(a, 20001)))
	mustView(t, l, func(tx *bolt.Tx) error {
		u, err := Usage(tx, a, time.Now())
		if err != nil || u.Reservations != 1 || u.ReservedPorts != 1 {
			t.Fatalf("usage %+v %v", u, err)
		}
		return nil
	})
}
