package edge

import (
	"net/http"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// reconnectRetryAfter is the Retry-After of a tunnel whose agent is
// reconnecting: agents retry within seconds (edge/agent's backoff).
const reconnectRetryAfter = 5 * time.Second

// loadReconnecting routes, at start, the names of tunnels whose agents are
// likely coming back (closed shutdown by the previous process, or
// agent_gone, within domain.ReconnectHold): until their agents reopen
// them they answer 503 with Retry-After, not 404 (an unknown host, which
// clients do not retry).
func (s *Server) loadReconnecting() error {
	now := s.cfg.Now()
	ts, err := projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) ([]domain.Tunnel, error) {
		return projections.ReconnectingTunnels(tx, now)
	})
	if err != nil {
		return err
	}
	closed := make(chan struct{})
	close(closed)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range ts {
		name := projections.TunnelName(t)
		if _, ok := s.byHost[name]; ok {
			continue
		}
		till := t.ClosedAt.Add(domain.ReconnectHold)
		gone := till // a shutdown: a 404 again after the hold
		if t.CloseReason == domain.CloseAgentGone {
			gone = t.ClosedAt.Add(tombstoneFor) // as a live process would
		}
		s.byHost[name] = &tunnel{info: t, name: name, closed: closed, goneTill: gone, reconnectTill: till}
	}
	return nil
}

// serveGone answers a request for a tombstone (x.t.gone()): 503 with
// Retry-After while its agent is reconnecting, else 502. Captured either way.
func (s *Server) serveGone(w http.ResponseWriter, r *http.Request, x *exchange) {
	t := x.t
	cw := &captureWriter{ResponseWriter: w, x: x}
	if s.cfg.Now().Before(t.reconnectTill) {
		x.setError("agent_reconnecting", http.StatusServiceUnavailable)
		w.Header().Set("Retry-After", strconv.Itoa(int(reconnectRetryAfter/time.Second)))
		writeError(cw, r, http.StatusServiceUnavailable, "agent_reconnecting", "Tunnel reconnecting",
			"The agent serving "+t.name+" is reconnecting (the server restarted or its connection dropped). Retry in a few seconds.")
		return
	}
	x.setError("agent_gone", http.StatusBadGateway)
	writeError(cw, r, http.StatusBadGateway, "agent_gone", "Tunnel offline",
		"The agent serving "+t.name+" disconnected. Restart `warren http` on its machine.")
}

// reconnectingOfLocked returns a tombstone of accountID whose agent is
// reconnecting, if any (s.mu held): the account's verified custom domain
// answers through it (503) while none of its tunnels is live, since which
// tunnel a domain was bound to is not in the log.
func (s *Server) reconnectingOfLocked(accountID string) *tunnel {
	now := s.cfg.Now()
	for _, t := range s.byHost {
		if t.gone() && t.info.AccountID == accountID && now.Before(t.reconnectTill) {
			return t
		}
	}
	return nil
}
