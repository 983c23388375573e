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
// reopen's previous port) when it is free and its last tunnel was the
// account's, else the next free port, round robin so a port just released
// is not handed out again at once. Round robin skips ports whose last
// tunnel, another account's, closed within domain.ReconnectHold with its
// agent likely coming back (shutdown, agent_gone): that agent asks for it.
//
// A want still live on the account (the tunnel of a connection the server
// has not yet seen drop) is a CodeConflict, which the agent's reopen
// retries, rather than another port.
func (s *Server) listenTCP(accountID string, want int) (net.Listener, int, error) {
	lo, hi := s.cfg.TCPPorts[0], s.cfg.TCPPorts[1]
	if lo == 0 {
		return nil, 0, domain.Errorf(domain.CodeUnavailable, "this server has no TCP port range (serve --tcp-ports)")
	}
	if want >= lo && want <= hi {
		last, err := s.portHeldBy(want)
		if err != nil {
			return nil, 0, err
		}
		if last.ID != "" && last.AccountID == accountID {
			if last.Live() {
				return nil, 0, domain.Errorf(domain.CodeConflict,
					"port %d is still held by this account's previous connection; retry once the server drops it", want)
			}
			if ln, ok := s.bindPort(want); ok {
				return ln, want, nil
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

// portHeldBy reads the port's last tunnel from the projections.
func (s *Server) portHeldBy(port int) (domain.Tunnel, error) {
	return projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) (domain.Tunnel, error) {
		return projections.PortHeldBy(tx, port)
	})
}

// portIsFor reports whether round robin may give port to accountID: not
// while it is held for another account's reconnecting agent.
func (s *Server) portIsFor(accountID string, port int) bool {
	last, err := s.portHeldBy(port)
	if err != nil {
		return false
	}
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
