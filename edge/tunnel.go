package edge

import (
	"crypto/rand"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge/access"
	"warren/edge/sso"
	"warren/edge/wire"
	"warren/projections"
)

// tunnel is a live tunnel as the edge routes it. A tombstone (sess == nil)
// keeps a tunnel whose agent vanished routable, so its public requests get a
// captured 502 instead of a 404, until the name is opened again.
type tunnel struct {
	info      domain.Tunnel
	name      string // subdomain, or "tcp-<port>": the captured requests' Tunnel
	hostname  string // a verified custom domain bound to it, if any
	sess      *session
	transport *streamTransport
	ln        net.Listener // tcp tunnels

	once     sync.Once
	closed   chan struct{}
	goneTill time.Time // tombstones: routable (as a 502) until then
	// reconnectTill: a tombstone answers 503 with Retry-After until then
	// (its agent is likely reconnecting: domain.Reconnecting), then 502.
	reconnectTill time.Time

	hooks atomic.Pointer[hookSet] // issue 17: webhook verifiers (verify_hooks.go)
	// Who may reach it (access_gate.go): the rules in force (nil: anyone),
	// and what the agent's flags asked, merged into them.
	access      atomic.Pointer[access.Rules]
	accessMu    sync.Mutex // serialises refreshAccess: a stale read never overwrites a fresher one
	agentAccess domain.AccessRules
	oidc        *sso.Gate                // the agent's --oidc-issuer login (access_oidc.go); nil: none
	resOIDC     atomic.Pointer[sso.Gate] // its reservation's login, when the agent has none

	inflight   atomic.Int64 // public exchanges in flight (connLimits)
	refusedLog atomic.Int64 // unix ns of the last "over a cap" log line
}

// tombstoneFor is how long a vanished agent's name answers 502 rather than 404.
const tombstoneFor = time.Hour

func (t *tunnel) gone() bool { return t.sess == nil }

// sessionLost reports whether the agent's connection is gone (a tombstone,
// or a session yamux has closed that the server has not yet dropped).
func (t *tunnel) sessionLost() bool { return t.sess == nil || t.sess.mux.IsClosed() }

// openTunnel decides and records a tunnel.opened, then routes the tunnel.
func (s *Server) openTunnel(ss *session, m wire.Msg) (*tunnel, error) {
	if s.closing.Load() {
		return nil, domain.Errorf(domain.CodeUnavailable, "the server is shutting down")
	}
	if err := domain.ValidateLocal(m.Local); err != nil {
		return nil, err
	}
	in := projections.OpenTunnel{
		AccountID: ss.accountID, SessionID: ss.id, KeyID: ss.keyID, Proto: m.Proto,
		Subdomain: m.Subdomain, Local: m.Local, RemoteAddr: ss.remote,
		RandomName: func() (string, error) { return domain.RandomSubdomain(rand.Reader) },
		URL: func(sub string, port int) string {
			if port != 0 {
				return "tcp://" + net.JoinHostPort(s.cfg.TCPPublicHost, strconv.Itoa(port))
			}
			return s.cfg.publicURL(sub)
		},
	}
	t := &tunnel{sess: ss, closed: make(chan struct{})}
	hooks, err := s.parseAgentWebhooks(wireOpen{m.Webhooks, m.WebhookEnforce}) // verify_hooks.go
	if err != nil {
		return nil, err
	}
	switch m.Proto {
	case domain.ProtoHTTP:
		// Refused here if they do not parse: nothing half-protected goes live.
		a, err := agentAccess(m.Access)
		if err == nil {
			_, err = s.accessRules(a)
		}
		if err != nil {
			return nil, err
		}
		t.agentAccess = a
		if t.oidc, err = s.oidcGate(m.Access); err != nil {
			return nil, err
		}
		if m.Hostname != "" {
			if err := s.checkHostname(ss.accountID, m.Hostname); err != nil {
				return nil, err
			}
			t.hostname = m.Hostname
		}
	case domain.ProtoTCP:
		if !m.Access.Empty() {
			return nil, domain.Errorf(domain.CodeInvalid, "access rules apply to http tunnels only")
		}
		// Quota first: the command decides again, but a port is not bound
		// (and taken from others) for an open the plan refuses.
		if _, err := projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) (struct{}, error) {
			return struct{}{}, projections.CheckTunnelQuota(tx, ss.accountID, domain.ProtoTCP)
		}); err != nil {
			return nil, err
		}
		ln, port, err := s.listenTCP(ss.accountID, m.Port)
		if err != nil {
			return nil, err
		}
		t.ln, in.Port = ln, port
	default:
		return nil, domain.Errorf(domain.CodeInvalid, "unknown tunnel protocol %q (supported: http, tcp)", m.Proto)
	}
	evs, err := s.cfg.Log.Execute(bg(), withTunnelAccess(projections.OpenTunnelCmd(in), t.agentAccess, m.Access)) // access_gate.go
	if err == nil && len(evs) == 0 {
		err = domain.Errorf(domain.CodeInternal, "no tunnel opened")
	}
	if err != nil {
		s.releasePort(t, in.Port)
		return nil, err
	}
	// The tunnel, its name and URL as the projections record them.
	info, err := projections.OpenedTunnel(evs)
	if err != nil {
		s.releasePort(t, in.Port)
		return nil, err
	}
	t.info, t.name = info, projections.TunnelName(info)
	if info.Proto == domain.ProtoHTTP {
		s.refreshAccess(t) // before it is routed: no request passes unjudged
	}
	t.transport = newStreamTransport(t, s.cfg.ResponseHeaderTimeout)
	if err := s.addAgentWebhooks(t, hooks, m.WebhookEnforce); err != nil { // verify_hooks.go
		s.finishTunnel(t, domain.CloseReleased, false, true)
		return nil, err
	}

	ss.mu.Lock()
	ended := ss.ended
	if !ended {
		ss.tunnels[t.info.ID] = t
	}
	ss.mu.Unlock()
	if ended {
		// The session ended while the open was being recorded.
		t.sess = nil
		s.finishTunnel(t, domain.CloseAgentGone, false, true)
		s.releasePort(t, info.Port)
		return nil, domain.Errorf(domain.CodeUnavailable, "the agent session ended")
	}
	s.mu.Lock()
	s.byID[t.info.ID] = t
	switch info.Proto {
	case domain.ProtoHTTP:
		s.byHost[t.name] = t
		if t.hostname != "" {
			s.byHost[t.hostname] = t
		}
	case domain.ProtoTCP:
		s.ports[info.Port] = t
	}
	s.mu.Unlock()
	if info.Proto == domain.ProtoHTTP && info.Subdomain != "" {
		s.refreshAccess(t) // again: the reservation's rules may have changed meanwhile
	}
	if t.ln != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.acceptTCP(t)
		}()
	}
	return t, nil
}

// checkHostname accepts a custom domain only when verified for the account.
func (s *Server) checkHostname(accountID, name string) error {
	cd, err := s.verifiedDomain(name)
	if err != nil {
		return err
	}
	if cd.AccountID != accountID {
		return domain.Errorf(domain.CodeForbidden, "domain %q is not verified on your account", name)
	}
	return nil
}

// verifiedDomain returns the verified custom domain name (AccountID "" when
// none is).
func (s *Server) verifiedDomain(name string) (domain.CustomDomain, error) {
	return projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) (domain.CustomDomain, error) {
		cd, ok, err := projections.VerifiedDomain(tx, name)
		if !ok {
			cd = domain.CustomDomain{}
		}
		return cd, err
	})
}

// closeTunnel unroutes t once, records tunnel.closed (unless record is
// false: the event exists already) and tells the agent when notify is set.
// An agent_gone close leaves a tombstone so later requests are a captured 502.
func (s *Server) closeTunnel(t *tunnel, reason string, notify bool) {
	s.finishTunnel(t, reason, notify, true)
}

func (s *Server) finishTunnel(t *tunnel, reason string, notify, record bool) {
	t.once.Do(func() {
		close(t.closed)
		s.mu.Lock()
		delete(s.byID, t.info.ID)
		for _, h := range []string{t.name, t.hostname} {
			if h == "" || s.byHost[h] != t {
				continue
			}
			if reason == domain.CloseAgentGone && t.info.Proto == domain.ProtoHTTP {
				now := s.cfg.Now()
				s.byHost[h] = &tunnel{info: t.info, name: t.name, hostname: t.hostname, closed: t.closed,
					goneTill: now.Add(tombstoneFor), reconnectTill: now.Add(domain.ReconnectHold)}
				s.sweepTombstonesLocked()
			} else {
				delete(s.byHost, h)
			}
		}
		if t.info.Port != 0 && s.ports[t.info.Port] == t {
			delete(s.ports, t.info.Port)
		}
		s.mu.Unlock()
		if t.ln != nil {
			t.ln.Close()
		}
		if t.sess != nil {
			t.sess.mu.Lock()
			delete(t.sess.tunnels, t.info.ID)
			t.sess.mu.Unlock()
			if notify {
				t.sess.reply(wire.Msg{Type: wire.TypeClosed, ID: t.info.ID, Reason: reason, URL: t.info.PublicURL})
			}
		}
		t.transport.CloseIdleConnections()
		if record {
			if _, err := s.cfg.Log.Execute(bg(), projections.CloseTunnel(t.info.AccountID, t.info.ID, reason)); err != nil {
				s.cfg.Logger.Error("recording tunnel close", "tunnel", t.info.ID, "reason", reason, "err", err)
			}
		}
		s.dropAgentWebhooks(t) // verify_hooks.go: an agent's verifiers end with its tunnel
	})
}

// sweepTombstonesLocked forgets expired tombstones; s.mu is held.
func (s *Server) sweepTombstonesLocked() {
	now := s.cfg.Now()
	for h, t := range s.byHost {
		if t.gone() && now.After(t.goneTill) {
			delete(s.byHost, h)
		}
	}
}

// lookupCustomDomain routes a verified custom domain: to the tunnel that
// asked for that hostname, else to the account's newest live HTTP tunnel.
func (s *Server) lookupCustomDomain(host string) *tunnel {
	if t := s.lookupHost(host); t != nil {
		return t
	}
	cd, err := s.verifiedDomain(host)
	if err != nil || cd.AccountID == "" {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var best *tunnel
	for _, t := range s.byID {
		if t.info.AccountID == cd.AccountID && t.info.Proto == domain.ProtoHTTP && !t.gone() &&
			(best == nil || t.info.OpenedAt.After(best.info.OpenedAt)) {
			best = t
		}
	}
	if best == nil {
		best = s.reconnectingOfLocked(cd.AccountID) // reconnect.go
	}
	return best
}

// tunnelFor returns the live tunnel of an account by name (replay).
func (s *Server) tunnelFor(accountID, name string) *tunnel {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t := s.byHost[name]; t != nil && !t.gone() && t.info.AccountID == accountID {
		return t
	}
	for _, t := range s.ports {
		// nil: a port held while its listener binds and its open is recorded.
		if t != nil && t.name == name && t.info.AccountID == accountID {
			return t
		}
	}
	return nil
}

// since renders a duration in milliseconds with µs precision.
func since(start, end time.Time) float64 {
	return float64(end.Sub(start).Microseconds()) / 1000
}
