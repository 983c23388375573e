package projections

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// TCPHost is the live-index key of a TCP tunnel's port.
func TCPHost(port int) string { return "tcp:" + strconv.Itoa(port) }

// TunnelName is how captured requests and usage name a tunnel: its
// subdomain, or "tcp-<port>".
func TunnelName(t domain.Tunnel) string {
	if t.Proto == domain.ProtoTCP {
		return "tcp-" + strconv.Itoa(t.Port)
	}
	return t.Subdomain
}

// tunnelHost is the key a live tunnel is routed by.
func tunnelHost(t domain.Tunnel) string {
	if t.Proto == domain.ProtoTCP {
		return TCPHost(t.Port)
	}
	return t.Subdomain
}

// openedTunnel is the tunnel a tunnel.opened records: the one mapping the
// projection and OpenedTunnel share.
func openedTunnel(ev *events.Event, d *events.TunnelOpenedData) domain.Tunnel {
	return domain.Tunnel{ID: d.TunnelID, AccountID: ev.Account, SessionID: d.SessionID, KeyID: d.KeyID,
		Proto: d.Proto, Subdomain: d.Subdomain, Port: d.Port, PublicURL: d.URL, Local: d.Local,
		RemoteAddr: d.RemoteAddr, OpenedAt: ev.At}
}

func applyTunnelOpened(tx *bolt.Tx, ev *events.Event, d *events.TunnelOpenedData) error {
	t := openedTunnel(ev, d)
	if err := putJSON(tx.Bucket(bTunnels), []byte(t.ID), t); err != nil {
		return err
	}
	u, _ := idULID(t.ID)
	ak := key([]byte(ev.Account), u[:])
	if err := tx.Bucket(bTunnelsByAcct).Put(ak, []byte(t.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bTunnelsLive).Put([]byte(tunnelHost(t)), []byte(t.ID)); err != nil {
		return err
	}
	switch t.Proto {
	case domain.ProtoHTTP:
		// Opened again (by its owner, or by anyone once the hold expired).
		if err := tx.Bucket(bTunnelsHeld).Delete([]byte(t.Subdomain)); err != nil {
			return err
		}
	case domain.ProtoTCP:
		// The port's last holder: a reopen after a restart or a reconnect
		// asks for its port back, and gets it only if nobody held it since
		// (PortHeldBy).
		if err := tx.Bucket(bTunnelsHeld).Put([]byte(TCPHost(t.Port)), []byte(t.ID)); err != nil {
			return err
		}
	}
	return addIndexed(tx, bTunnelsLiveAcct, ak, []byte(t.ID), ev.Account, liveKinds(t.Proto)...)
}

// liveKinds are the counts a live tunnel of proto is in.
func liveKinds(proto string) []string {
	if proto == domain.ProtoTCP {
		return []string{countLiveTunnels, countLiveTCP}
	}
	return []string{countLiveTunnels}
}

func applyTunnelClosed(tx *bolt.Tx, ev *events.Event, d *events.TunnelClosedData) error {
	t, err := Tunnel(tx, d.TunnelID)
	if err != nil {
		return err
	}
	if !t.Live() {
		return nil
	}
	at := ev.At
	t.ClosedAt, t.CloseReason = &at, d.Reason
	if err := putJSON(tx.Bucket(bTunnels), []byte(t.ID), t); err != nil {
		return err
	}
	live := tx.Bucket(bTunnelsLive)
	if id := live.Get([]byte(tunnelHost(t))); string(id) == t.ID {
		if err := live.Delete([]byte(tunnelHost(t))); err != nil {
			return err
		}
	}
	u, _ := idULID(t.ID)
	if err := dropIndexed(tx, bTunnelsLiveAcct, key([]byte(t.AccountID), u[:]), t.AccountID, liveKinds(t.Proto)...); err != nil {
		return err
	}
	if t.Proto == domain.ProtoHTTP && (d.Reason == domain.CloseAgentGone || d.Reason == domain.CloseShutdown) {
		// Its agent is likely reconnecting (a lost connection, a server
		// restart): the name stays the account's for domain.ReconnectHold
		// (see heldBy), and answers 503 meanwhile (ReconnectingTunnels).
		if err := tx.Bucket(bTunnelsHeld).Put([]byte(t.Subdomain), []byte(t.ID)); err != nil {
			return err
		}
	}
	return addTunnelSeconds(tx, t.AccountID, TunnelName(t), t.OpenedAt, at)
}

// Tunnel returns a tunnel, live or closed, by id (CodeNotFound).
func Tunnel(tx *bolt.Tx, id string) (domain.Tunnel, error) {
	var t domain.Tunnel
	ok, err := getJSON(tx.Bucket(bTunnels), []byte(id), &t)
	if err == nil && !ok {
		err = notFound("tunnel", id)
	}
	return t, err
}

// LiveTunnelByHost returns the live tunnel routed by host: a subdomain, or
// TCPHost(port) for TCP tunnels.
func LiveTunnelByHost(tx *bolt.Tx, host string) (domain.Tunnel, bool, error) {
	id := tx.Bucket(bTunnelsLive).Get([]byte(host))
	if id == nil {
		return domain.Tunnel{}, false, nil
	}
	t, err := Tunnel(tx, string(id))
	return t, err == nil, err
}

// LiveTunnels lists an account's live tunnels, newest first.
func LiveTunnels(tx *bolt.Tx, accountID string) ([]domain.Tunnel, error) {
	var out []domain.Tunnel
	err := listNewest(tx.Bucket(bTunnelsLiveAcct), []byte(accountID), ulid.ULID{}, 1<<30, func(_, id []byte) error {
		t, err := Tunnel(tx, string(id))
		out = append(out, t)
		return err
	})
	return out, err
}

// AllLiveTunnels calls fn for every live tunnel of every account (shutdown, start-up repair).
func AllLiveTunnels(tx *bolt.Tx, fn func(domain.Tunnel) error) error {
	return tx.Bucket(bTunnelsLive).ForEach(func(_, id []byte) error {
		t, err := Tunnel(tx, string(id))
		if err != nil {
			return err
		}
		return fn(t)
	})
}

// Tunnels lists an account's tunnels, live and closed, newest first, before the tunnel id before.
func Tunnels(tx *bolt.Tx, accountID, before string, limit int) ([]domain.Tunnel, error) {
	var b ulid.ULID
	if before != "" {
		var err error
		if b, err = ownedCursor(tx, bTunnels, accountID, before, "tun_", func(v []byte) (string, error) {
			var t domain.Tunnel
			return t.AccountID, jsonUnmarshal(v, &t)
		}); err != nil {
			return nil, err
		}
	}
	var out []domain.Tunnel
	err := listNewest(tx.Bucket(bTunnelsByAcct), []byte(accountID), b, limit, func(_, id []byte) error {
		t, err := Tunnel(tx, string(id))
		out = append(out, t)
		return err
	})
	return out, err
}

// OpenTunnel is the input of the OpenTunnelCmd command.
type OpenTunnel struct {
	AccountID  string
	SessionID  string
	KeyID      string
	Proto      string // domain.ProtoHTTP or domain.ProtoTCP
	Subdomain  string // http: asked name, "" for a random one
	Port       int    // tcp: the port the edge picked
	Local      string
	RemoteAddr string
	// URL renders the public URL of a subdomain (http) or port (tcp).
	URL func(subdomain string, port int) string
	// RandomName draws a readable name when none is asked (domain.RandomSubdomain).
	RandomName func() (string, error)
}

// CheckTunnelQuota decides whether the account may open one more tunnel
// (CodeQuota, naming the limit and the plan). OpenTunnelCmd decides with it;
// the edge also asks first, before it binds a TCP port for the open.
func CheckTunnelQuota(tx *bolt.Tx, accountID, proto string) error {
	_, plan, err := AccountPlan(tx, accountID)
	if err != nil {
		return err
	}
	// Counted by the appliers (counts.go): the same cost at any number of tunnels.
	live := accountCount(tx, accountID, countLiveTunnels)
	liveTCP := accountCount(tx, accountID, countLiveTCP)
	return domain.CheckOpenTunnel(plan, proto, live, liveTCP)
}

// OpenTunnelCmd opens a tunnel, deciding inside the write transaction:
// a valid local address when one is given (CodeInvalid), plan tunnel limit (CodeQuota naming
// limit and plan), lrok's claim rule and a name held for a reconnecting
// agent of another account (CodeConflict), a free port (CodeConflict).
func OpenTunnelCmd(in OpenTunnel) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		// The edge requires one of agents; tools and tests may open
		// tunnels that state none.
		if in.Local != "" {
			if err := domain.ValidateLocal(in.Local); err != nil {
				return nil, err
			}
		}
		if err := CheckTunnelQuota(tx.Tx, in.AccountID, in.Proto); err != nil {
			return nil, err
		}
		d := events.TunnelOpenedData{TunnelID: "tun_" + tx.NewID().String(), SessionID: in.SessionID, KeyID: in.KeyID,
			Proto: in.Proto, Local: in.Local, RemoteAddr: in.RemoteAddr}
		switch in.Proto {
		case domain.ProtoHTTP:
			sub, err := claimSubdomain(tx, in)
			if err != nil {
				return nil, err
			}
			d.Subdomain = sub
		case domain.ProtoTCP:
			if in.Port <= 0 || in.Port > 65535 {
				return nil, domain.Errorf(domain.CodeInvalid, "port %d is out of range", in.Port)
			}
			if _, live, err := LiveTunnelByHost(tx.Tx, TCPHost(in.Port)); err != nil || live {
				return nil, firstErr(err, domain.Errorf(domain.CodeConflict, "port %d is in use", in.Port))
			}
			// A reserved port is its holder's alone (reservations.go).
			if r, _, err := PortReservation(tx.Tx, in.Port); err != nil {
				return nil, err
			} else if err := domain.ClaimPort(in.AccountID, in.Port, r.AccountID); err != nil {
				return nil, err
			}
			d.Port = in.Port
		default:
			return nil, domain.Errorf(domain.CodeInvalid, "unknown tunnel protocol %q (supported: http, tcp)", in.Proto)
		}
		if in.URL != nil {
			d.URL = in.URL(d.Subdomain, d.Port)
		}
		return []events.Draft{{Type: events.TunnelOpened, Account: in.AccountID, Data: d}}, nil
	}
}

func claimSubdomain(tx *events.Tx, in OpenTunnel) (string, error) {
	if in.Subdomain == "" {
		if in.RandomName == nil {
			return "", domain.Errorf(domain.CodeInvalid, "a subdomain is required")
		}
		for i := 0; i < 20; i++ {
			name, err := in.RandomName()
			if err != nil {
				return "", err
			}
			r, _, err := Reservation(tx.Tx, name)
			if err != nil {
				return "", err
			}
			_, live, err := LiveTunnelByHost(tx.Tx, name)
			if err != nil {
				return "", err
			}
			held, err := heldBy(tx, name)
			if err != nil {
				return "", err
			}
			if r.AccountID == "" && !live && domain.CheckNameHeld(in.AccountID, name, held, tx.Now()) == nil {
				return name, nil
			}
		}
		return "", domain.Errorf(domain.CodeConflict, "could not find a free random name; ask for one")
	}
	if err := domain.ValidateSubdomain(in.Subdomain); err != nil {
		return "", err
	}
	r, _, err := Reservation(tx.Tx, in.Subdomain)
	if err != nil {
		return "", err
	}
	t, _, err := LiveTunnelByHost(tx.Tx, in.Subdomain)
	if err != nil {
		return "", err
	}
	if t.ID != "" && t.AccountID == in.AccountID {
		return "", domain.Errorf(domain.CodeConflict, "subdomain %q already has a live tunnel on your account", in.Subdomain)
	}
	if err := domain.ClaimSubdomain(in.AccountID, in.Subdomain, r.AccountID, t.AccountID); err != nil {
		return "", err
	}
	if r.AccountID != in.AccountID { // a name the caller reserved is theirs, held or not
		held, err := heldBy(tx, in.Subdomain)
		if err != nil {
			return "", err
		}
		if err := domain.CheckNameHeld(in.AccountID, in.Subdomain, held, tx.Now()); err != nil {
			return "", err
		}
	}
	return in.Subdomain, nil
}

// ReconnectingTunnels returns the HTTP tunnels whose agents are likely
// coming back at now (domain.Reconnecting): the edge answers their names
// 503 until they are reopened, also right after a restart.
func ReconnectingTunnels(tx *bolt.Tx, now time.Time) ([]domain.Tunnel, error) {
	var out []domain.Tunnel
	err := tx.Bucket(bTunnelsHeld).ForEach(func(k, id []byte) error {
		if bytes.HasPrefix(k, []byte("tcp:")) {
			return nil
		}
		t, err := Tunnel(tx, string(id))
		if err != nil {
			return err
		}
		if t.Proto == domain.ProtoHTTP && domain.Reconnecting(t, now) {
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// heldBy returns the tunnel last closed agent_gone or shutdown under sub, if any (its
// ID is "" otherwise).
func heldBy(tx *events.Tx, sub string) (domain.Tunnel, error) {
	id := tx.Bucket(bTunnelsHeld).Get([]byte(sub))
	if id == nil {
		return domain.Tunnel{}, nil
	}
	return Tunnel(tx.Tx, string(id))
}

// PortHeldBy returns the tunnel that last held a TCP port, live or closed
// (its ID is "" when none ever did).
func PortHeldBy(tx *bolt.Tx, port int) (domain.Tunnel, error) {
	id := tx.Bucket(bTunnelsHeld).Get([]byte(TCPHost(port)))
	if id == nil {
		return domain.Tunnel{}, nil
	}
	return Tunnel(tx, string(id))
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// TunnelFromEvents returns the tunnel OpenTunnelCmd opened, as the projection holds it.
func TunnelFromEvents(evs []events.Event) (events.TunnelOpenedData, error) {
	for _, ev := range evs {
		var d events.TunnelOpenedData
		if ev.Type == events.TunnelOpened {
			return d, ev.DecodeData(&d)
		}
	}
	return events.TunnelOpenedData{}, fmt.Errorf("projections: no tunnel.opened event")
}

// OpenedTunnel returns the tunnel OpenTunnelCmd opened in evs, as the
// projection records it (name it with TunnelName).
func OpenedTunnel(evs []events.Event) (domain.Tunnel, error) {
	for i := range evs {
		if evs[i].Type == events.TunnelOpened {
			var d events.TunnelOpenedData
			if err := evs[i].DecodeData(&d); err != nil {
				return domain.Tunnel{}, err
			}
			return openedTunnel(&evs[i], &d), nil
		}
	}
	return domain.Tunnel{}, fmt.Errorf("projections: no tunnel.opened event")
}

// CloseTunnel closes one of the account's tunnels with a reason
// (domain.Close*): CodeNotFound when not the account's, and nothing appended
// when it is closed already.
func CloseTunnel(accountID, tunnelID, reason string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		t, err := Tunnel(tx.Tx, tunnelID)
		if err != nil || t.AccountID != accountID {
			return nil, notFound("tunnel", tunnelID)
		}
		if !t.Live() {
			return nil, nil
		}
		return []events.Draft{{Type: events.TunnelClosed, Account: accountID,
			Data: events.TunnelClosedData{TunnelID: tunnelID, Reason: reason}}}, nil
	}
}
