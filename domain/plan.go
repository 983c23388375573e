package domain

// Limits are a plan's quotas. Every built-in plan states each of them: a
// number, or Unlimited() — a nil pointer, which the API renders as JSON
// null ("null = unlimited" in docs/openapi.yaml). A test holds every plan
// to that, and requires a number for the limits that protect the server
// (agent sessions, capture, retention).
type Limits struct {
	// Tunnels caps the account's live tunnels at once, HTTP and TCP alike.
	Tunnels *int64 `json:"tunnels"`
	// TCPPorts caps the account's live TCP tunnels, each of which holds a
	// port of the server's range: a range all accounts share, so no plan
	// leaves it uncapped.
	TCPPorts     *int64 `json:"tcpPorts"`
	Reservations *int64 `json:"reservations"` // of subdomains
	// ReservedPorts caps the TCP ports of the server's range the account
	// holds reserved, live or not: like TCPPorts, taken from a range all
	// accounts share, so no plan leaves it uncapped.
	ReservedPorts  *int64 `json:"reservedPorts"`
	Domains        *int64 `json:"domains"`
	BandwidthBytes *int64 `json:"bandwidthBytes"` // per calendar month (UTC), in + out
	// AgentSessions caps the account's connected agents at once, and
	// AgentSessionsPerKey those of one API key (so one leaked or looping
	// key cannot take the account's whole share). Each session costs the
	// server memory whether or not it opens tunnels.
	AgentSessions       *int64 `json:"agentSessions"`
	AgentSessionsPerKey *int64 `json:"agentSessionsPerKey"`
	// CaptureBodyBytes is how much of each request and response body is stored.
	CaptureBodyBytes int64 `json:"captureBodyBytes"`
	// RetentionDays is how long captured bodies are kept.
	RetentionDays int `json:"retentionDays"`
}

// Plan is a named set of limits.
type Plan struct {
	Name   string `json:"name"`
	Limits Limits `json:"limits"`
}

// Plan names.
const (
	PlanFree = "free"
	PlanPro  = "pro"
)

const (
	mib = 1 << 20
	gib = 1 << 30
)

func limit(n int64) *int64 { return &n }

// Unlimited is the value of a limit a plan does not cap: nil, JSON null.
// Plans say it explicitly rather than leave a limit out.
func Unlimited() *int64 { return nil }

// PlanByName returns a built-in plan. It fails with CodeInvalid for an unknown name.
// Each call returns a fresh value, so callers may not alter the built-ins.
func PlanByName(name string) (Plan, error) {
	switch name {
	case PlanFree:
		return Plan{Name: PlanFree, Limits: Limits{
			Tunnels:             limit(10),
			TCPPorts:            limit(2),
			Reservations:        limit(1),
			ReservedPorts:       limit(1),
			Domains:             limit(2),
			BandwidthBytes:      limit(50 * gib),
			AgentSessions:       limit(10),
			AgentSessionsPerKey: limit(5),
			CaptureBodyBytes:    1 * mib,
			RetentionDays:       14,
		}}, nil
	case PlanPro:
		return Plan{Name: PlanPro, Limits: Limits{
			Tunnels:        Unlimited(),
			TCPPorts:       limit(100),
			Reservations:   Unlimited(),
			ReservedPorts:  limit(20),
			Domains:        Unlimited(),
			BandwidthBytes: Unlimited(),
			// A thousand agents on one key is what the idle-agents
			// benchmark runs; more is a runaway script, not a customer.
			AgentSessions:       limit(2000),
			AgentSessionsPerKey: limit(1000),
			CaptureBodyBytes:    10 * mib,
			RetentionDays:       90,
		}}, nil
	}
	return Plan{}, Errorf(CodeInvalid, "unknown plan %q (supported: %s, %s)", name, PlanFree, PlanPro)
}

// PlanNames lists the built-in plans.
func PlanNames() []string { return []string{PlanFree, PlanPro} }

// Allows reports whether using one more of a limit keeps within it; an
// Unlimited() limit allows any use.
func Allows(limit *int64, used int64) bool {
	return limit == nil || used < *limit
}

// CheckConnectAgent decides whether one more agent session fits the plan,
// given the account's sessions and those of the connecting key (CodeQuota).
func CheckConnectAgent(plan Plan, ofAccount, ofKey int64) error {
	if !Allows(plan.Limits.AgentSessionsPerKey, ofKey) {
		return Errorf(CodeQuota, "the %s plan allows %d connected agents per API key", plan.Name, *plan.Limits.AgentSessionsPerKey)
	}
	if !Allows(plan.Limits.AgentSessions, ofAccount) {
		return Errorf(CodeQuota, "the %s plan allows %d connected agents at once", plan.Name, *plan.Limits.AgentSessions)
	}
	return nil
}
