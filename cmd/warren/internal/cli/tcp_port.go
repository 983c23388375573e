package cli

import (
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"

	"warren/edge/agent"
)

// portFlags are `warren tcp`'s --port N and its alias --remote-addr
// [HOST:]PORT (ngrok's flag; frp calls it remotePort): the public port to
// ask for, one the account reserved (`warren reservations add --tcp`).
type portFlags struct {
	port       *int
	remoteAddr *string
}

func addPortFlags(fs *flag.FlagSet) *portFlags {
	return &portFlags{
		port:       fs.Int("port", 0, "public port to ask for: one you reserved (warren reservations add --tcp); default: any free port"),
		remoteAddr: fs.String("remote-addr", "", "as --port, in ngrok's form [HOST:]PORT (the host is the server's)"),
	}
}

// want is the port asked for, 0 for any.
func (p *portFlags) want() (int, error) {
	if *p.remoteAddr == "" {
		if *p.port < 0 || *p.port > 65535 {
			return 0, fmt.Errorf("--port %d: not a port", *p.port)
		}
		return *p.port, nil
	}
	s := *p.remoteAddr
	if strings.Contains(s, ":") {
		_, ps, err := net.SplitHostPort(s)
		if err != nil {
			return 0, fmt.Errorf("--remote-addr %q: %w", s, err)
		}
		s = ps
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 65535 {
		return 0, fmt.Errorf("--remote-addr %q: want [HOST:]PORT", *p.remoteAddr)
	}
	if *p.port != 0 && *p.port != n {
		return 0, fmt.Errorf("--port %d and --remote-addr %s disagree", *p.port, *p.remoteAddr)
	}
	return n, nil
}

// gotWantedPort refuses a tunnel opened on another port than the spec
// asked for: the server grants a wanted port only when the account
// reserved it (or its tunnel last held it), else any free one, and a
// user who named a port must not be sent to another silently.
func gotWantedPort(s agent.Spec, t agent.Tunnel) error {
	if s.WantPort == 0 || t.Port == s.WantPort {
		return nil
	}
	return fmt.Errorf("port %d is not reserved by this account (the server offered %d): reserve it with `warren reservations add --tcp --port %d`",
		s.WantPort, t.Port, s.WantPort)
}
