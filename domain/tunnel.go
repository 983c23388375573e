package domain

import "time"

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

// CheckOpenTunnel decides whether one more tunnel fits the plan (CodeQuota).
func CheckOpenTunnel(plan Plan, live int64) error {
	if !Allows(plan.Limits.Tunnels, live) {
		return Errorf(CodeQuota, "the %s plan allows %d tunnels at once", plan.Name, *plan.Limits.Tunnels)
	}
	return nil
}
