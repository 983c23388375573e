package server

// The roles of `warren serve` (docs/scale-out.md).
const (
	RoleAll     = "all"     // one process, GoChannel, no NATS: today's behaviour
	RoleControl = "control" // the log, projections, API, dashboard; JetStream
	RoleEdge    = "edge"    // agents and public traffic; no log
)

// RoleSettings say what this process is and how it reaches NATS. The zero
// value is RoleAll.
type RoleSettings struct {
	Role string // "" or RoleAll, RoleControl, RoleEdge
	// NATSURL is an external NATS server (control), or the control plane's
	// (edge). Control without it embeds one on NATSHost:NATSPort, its
	// file store under <data>/nats.
	NATSURL  string
	NATSHost string
	NATSPort int // 0: a free port (tests)
	// NKeySeedFile or CredsFile authenticate this node to NATS.
	NKeySeedFile, CredsFile string
	// AllowNKeys are the public user nkeys the embedded server admits
	// (the control plane's own included); none: loopback only.
	AllowNKeys []string
	// ControlURL and EdgeToken are how an edge reaches the control
	// plane's API: its base URL and an operator API key.
	ControlURL, EdgeToken string

	ownNKey string // public key of NKeySeedFile, once checked
}

func (r RoleSettings) role() string {
	if r.Role == "" {
		return RoleAll
	}
	return r.Role
}
