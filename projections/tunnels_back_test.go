package projections

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// TestTunnelsComingBackSurviveAnUpgrade: a data directory written by an
// older binary (its tunnels-held bucket under the old name, with no
// shutdown closes and no TCP ports in it) is rebuilt at start, so the
// first restart into this binary already knows the tunnels coming back
// and the ports' last holders.
func TestTunnelsComingBackSurviveAnUpgrade(t *testing.T) {
	l := MustOpenLog(t)
	acc, _ := MustAccount(t, l, "back@example.com", "pro")
	web, _ := OpenedTunnel(MustExec(t, l, openHTTP(acc, "back-web")))
	tcp, _ := OpenedTunnel(MustExec(t, l, OpenTunnelCmd(OpenTunnel{AccountID: acc, SessionID: "ses_1",
		Proto: domain.ProtoTCP, Port: 20007})))
	MustExec(t, l, CloseTunnel(acc, web.ID, domain.CloseShutdown))
	MustExec(t, l, CloseTunnel(acc, tcp.ID, domain.CloseShutdown))
	// As an older binary left it.
	if err := l.DB().Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bTunnelsHeld); err != nil {
			return err
		}
		_, err := tx.CreateBucket([]byte("p_tunnels_held"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureCurrent(l.DB(), nil); err != nil {
		t.Fatal(err)
	}
	var back []domain.Tunnel
	var port domain.Tunnel
	mustView(t, l, func(tx *bolt.Tx) error {
		var err error
		if back, err = ReconnectingTunnels(tx, time.Now()); err != nil {
			return err
		}
		port, err = PortHeldBy(tx, 20007)
		return err
	})
	if len(back) != 1 || back[0].ID != web.ID || port.ID != tcp.ID {
		t.Fatalf("after the upgrade: coming back %+v, port 20007 last held by %q (want %s, %s)", back, port.ID, web.ID, tcp.ID)
	}
	mustView(t, l, func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("p_tunnels_held")) != nil {
			t.Error("the old bucket outlived the rebuild")
		}
		return nil
	})
}
