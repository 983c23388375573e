package domain

import (
	"net"
	"net/netip"
	"strconv"
	"time"
)

// Tunnel protocols.
const (
	ProtoHTTP = "http"
	ProtoTCP  = "tcp"
)

// Reasons a tunnel closes.
const (
	CloseAgentGone  = "agent_gone"
	CloseReleased   = "released"
	CloseKeyRevoked = "key_revoked"
	CloseShutdown   = "shutdown"
	CloseQuota      = "quota"
)

// Tunnel is one public endpoint served by an agent session.
type Tunnel struct {
	ID          string     `json:"id"`
	AccountID   string     `json:"accountId"`
	SessionID   string     `json:"sessionId"`
	KeyID       string     `json:"keyId"`
	Proto       string     `json:"proto"`
	Subdomain   string     `json:"subdomain,omitempty"`
	Port        int        `json:"port,omitempty"`
	PublicURL   string     `json:"publicUrl"`
	Local       string     `json:"local,omitempty"`
	RemoteAddr  string     `json:"remoteAddr"`
	OpenedAt    time.Time  `json:"openedAt"`
	ClosedAt    *time.Time `json:"closedAt,omitempty"`
	CloseReason string     `json:"closeReason,omitempty"`
}

// Live reports whether the tunnel is still open.
func (t Tunnel) Live() bool { return t.ClosedAt == nil }

// CheckOpenTunnel decides whether one more tunnel of proto fits the plan,
// given the account's live tunnels and, of those, its TCP ones (CodeQuota).
func CheckOpenTunnel(plan Plan, proto string, live, liveTCP int64) error {
	if !Allows(plan.Limits.Tunnels, live) {
		return Errorf(CodeQuota, "the %s plan allows %d tunnels at once", plan.Name, *plan.Limits.Tunnels)
	}
	if proto == ProtoTCP && !Allows(plan.Limits.TCPPorts, liveTCP) {
		return Errorf(CodeQuota, "the %s plan allows %d TCP tunnels at once", plan.Name, *plan.Limits.TCPPorts)
	}
	return nil
}

// ReconnectHold is how long a tunnel's name stays its account's after its
// agent's connection was lost (closed agent_gone) or the server stopped
// (closed shutdown): the agent reconnects and reopens it under the same name
// (it retries for two minutes), and no other account may claim it meanwhile.
const ReconnectHold = 2 * time.Minute

// Reconnecting reports whether t's agent is likely coming back at now: t
// closed agent_gone or shutdown less than ReconnectHold before now.
func Reconnecting(t Tunnel, now time.Time) bool {
	if t.ClosedAt == nil || t.CloseReason != CloseAgentGone && t.CloseReason != CloseShutdown {
		return false
	}
	return now.Before(t.ClosedAt.Add(ReconnectHold))
}

// CheckNameHeld refuses (CodeConflict) a claim of name by accountID while
// held, the tunnel last closed under that name, is Reconnecting on another
// account. A zero held holds nothing.
func CheckNameHeld(accountID, name string, held Tunnel, now time.Time) error {
	if held.ID == "" || held.AccountID == accountID || !Reconnecting(held, now) {
		return nil
	}
	until := held.ClosedAt.Add(ReconnectHold)
	return Errorf(CodeConflict, "subdomain %q is held for its owner's reconnecting agent until %s",
		name, until.UTC().Format(time.RFC3339))
}

// MaxLocalHost bounds the host of a tunnel's local address (a DNS name's
// longest).
const MaxLocalHost = 253

// ValidateLocal checks an agent's local address as stored in tunnel.opened
// and shown by the API: HOST:PORT, the host an IP literal (IPv6 in
// brackets) or a name of letters, digits, '-', '_' and '.', at most
// MaxLocalHost characters, the port 1-65535 (CodeInvalid).
func ValidateLocal(local string) error {
	bad := func(why string) error {
		if len(local) > 64 {
			local = local[:64] + "…"
		}
		return Errorf(CodeInvalid, "local address %q is not HOST:PORT: %s", local, why)
	}
	host, port, err := net.SplitHostPort(local)
	if err != nil {
		return bad("no port, or a malformed host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return bad("the port is not 1-65535")
	}
	if host == "" {
		return bad("no host")
	}
	if len(host) > MaxLocalHost {
		return bad("the host is longer than " + strconv.Itoa(MaxLocalHost) + " characters")
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	for _, c := range host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return bad("the host has a character other than letters, digits, '-', '_' and '.'")
		}
	}
	return nil
}
