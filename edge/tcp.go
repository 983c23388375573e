package edge

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge/wire"
	"warren/projections"
)

// listenTCP binds a port of the range for accountID's TCP tunnel: want (a
// reopen's previous port, or a port the account reserved) when it is free
// and either reserved by the account or last held by one of its tunnels,
// else the next free port, round robin so a port just released is not
// handed out again at once. Round robin skips reserved ports, whoever holds
// them, and ports whose last tunnel, another account's, closed within
// domain.ReconnectHold with its agent likely coming back (shutdown,
// agent_gone): that agent asks for it.
//
// A want reserved by another account is a CodeConflict; so is a want still
// live on the account (the tunnel of a connection the server has not yet
// seen drop), which the agent's reopen retries, rather than another port.
// A reserved want that cannot be bound is a CodeConflict too: the agent
// asked for that port, not any.
func (s *Server) listenTCP(accountID string, want int) (net.Listener, int, error) {
	lo, hi := s.cfg.TCPPorts[0], s.cfg.TCPPorts[1]
	if lo == 0 {
		return nil, 0, domain.Errorf(domain.CodeUnavailable, "this server has no TCP port range (serve --tcp-ports)")
	}
	if want >= lo && want <= hi {
		ps, err := s.portState(want)
		if err != nil {
			return nil, 0, err
		}
		if err := domain.ClaimPort(accountID, want, ps.reservedBy); err != nil {
			return nil, 0, err
		}
		mine := ps.reservedBy == accountID
		if ps.last.ID != "" && ps.last.AccountID == accountID && ps.last.Live() {
			return nil, 0, domain.Errorf(domain.CodeConflict,
				"port %d is still held by this account's previous connection; retry once the server drops it", want)
		}
		if mine || ps.last.ID != "" && ps.last.AccountID == accountID {
			if ln, ok := s.bindPort(want); ok {
				return ln, want, nil
			}
			if mine {
				return nil, 0, domain.Errorf(domain.CodeConflict, "port %d is reserved by this account but in use", want)
			}
		}
	}
	n := hi - lo + 1
	for range n {
		s.mu.Lock()
		p := s.nextPort
		s.nextPort++
		if s.nextPort > hi {
			s.nextPort = lo
		}
		s.mu.Unlock()
		if !s.portIsFor(accountID, p) {
			continue
		}
		if ln, ok := s.bindPort(p); ok {
			return ln, p, nil
		}
	}
	return nil, 0, domain.Errorf(domain.CodeUnavailable, "no free TCP port in %d-%d", lo, hi)
}

// bindPort holds p in the port table (unless taken) and binds it.
func (s *Server) bindPort(p int) (net.Listener, bool) {
	s.mu.Lock()
	_, used := s.ports[p]
	if !used {
		s.ports[p] = nil // held while binding and recording
	}
	s.mu.Unlock()
	if used {
		return nil, false
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(s.cfg.TCPHost, strconv.Itoa(p)))
	if err != nil {
		s.mu.Lock()
		delete(s.ports, p)
		s.mu.Unlock()
		return nil, false
	}
	return ln, true
}

// portState is what the projections say of a port: its last tunnel (ID
// "" for none) and the account that reserved it ("" for none).
type portState struct {
	last       domain.Tunnel
	reservedBy string
}

func (s *Server) portState(port int) (portState, error) {
	return projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) (portState, error) {
		last, err := projections.PortHeldBy(tx, port)
		if err != nil {
			return portState{}, err
		}
		r, _, err := projections.PortReservation(tx, port)
		return portState{last: last, reservedBy: r.AccountID}, err
	})
}

// portIsFor reports whether round robin may give port to accountID: not a
// reserved port (its holder asks for it by number), nor one held for
// another account's reconnecting agent.
func (s *Server) portIsFor(accountID string, port int) bool {
	ps, err := s.portState(port)
	if err != nil || ps.reservedBy != "" {
		return false
	}
	last := ps.last
	return last.ID == "" || last.AccountID == accountID || !domain.Reconnecting(last, s.cfg.Now())
}

// releasePort undoes listenTCP after a refused open.
func (s *Server) releasePort(t *tunnel, port int) {
	if t.ln != nil {
		t.ln.Close()
	}
	if port != 0 {
		s.mu.Lock()
		if s.ports[port] == nil {
			delete(s.ports, port)
		}
		s.mu.Unlock()
	}
}

// acceptTCP serves a TCP tunnel's listener until the tunnel closes.
func (s *Server) acceptTCP(t *tunnel) {
	for {
		c, err := t.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveTCPConn(t, c)
		}()
	}
}

// serveTCPConn pipes one public connection through a stream and captures it
// as one event (bytes, duration, close reason).
func (s *Server) serveTCPConn(t *tunnel, c net.Conn) {
	defer c.Close()
	if s.refuseUncapturable(nil, nil, t) {
		return
	}
	x := &exchange{t: t, now: s.cfg.Now, start: s.cfg.Now(), kind: domain.KindTCP}
	x.ip, _, _ = net.SplitHostPort(c.RemoteAddr().String())
	defer s.finish(x, nil)
	if !s.admitExchange(nil, nil, x) {
		return
	}
	defer s.limits.leave(t, x.ip)
	if acct, err := s.usage.get(t.info.AccountID); err == nil && acct.over() {
		x.setError("quota", 0)
		return
	}
	st, err := dialTunnel(context.Background(), t)
	if err != nil {
		var ref *wire.ErrRefused
		if errors.As(err, &ref) {
			x.setError("local_refused", 0)
		} else {
			x.setError("agent_gone", 0)
		}
		return
	}
	defer st.Close()
	x.ttfb = x.now()
	var wg sync.WaitGroup
	var clientClosed bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		n, _ := io.Copy(st, c) // client → agent
		x.addIn(n)
		clientClosed = true
		closeWrite(st)
	}()
	n, _ := io.Copy(c, st) // agent → client
	x.addOut(n)
	closeWrite(c)
	wg.Wait()
	// The close reason: who hung up first.
	if clientClosed {
		x.setError("client_closed", 0)
	} else {
		x.setError("local_closed", 0)
	}
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	_ = c.Close()
}
