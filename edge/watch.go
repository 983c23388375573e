package edge

import (
	"github.com/ThreeDotsLabs/watermill/message"

	"warren/domain"
	"warren/events"
)

// watch subscribes to committed control events (every type but
// request.captured, so proxied traffic never wakes it): a tunnel closed through the API is
// closed at its agent, a revoked key's sessions end, a plan change refreshes
// the usage cache. The message is acked at once (GoChannel holds a goroutine
// per unacked message); the work is small and idempotent.
func (s *Server) watch() error {
	ch, err := s.cfg.Subscriber.Subscribe(s.ctx, events.TopicControl)
	if err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for m := range ch {
			m.Ack()
			s.react(m)
		}
	}()
	return nil
}

func (s *Server) react(m *message.Message) {
	switch events.Type(m.Metadata.Get(events.MetaType)) {
	case events.TunnelClosed:
		ev, err := events.Decode(m.Payload)
		if err != nil {
			return
		}
		var d events.TunnelClosedData
		if ev.DecodeData(&d) != nil {
			return
		}
		s.mu.RLock()
		t := s.byID[d.TunnelID]
		s.mu.RUnlock()
		if t != nil {
			// Closed by someone else (the API's DELETE): the event exists.
			s.spawn(func() { s.finishTunnel(t, d.Reason, true, false) })
		}
	case events.KeyRevoked:
		ev, err := events.Decode(m.Payload)
		if err != nil {
			return
		}
		var d events.KeyRevokedData
		if ev.DecodeData(&d) == nil {
			s.closeSessionsOfKey(d.KeyID)
		}
	case events.DomainRemoved, events.DomainVerificationFailed:
		s.spawn(s.recheckHostnames)
	case events.AccountPlanChanged:
		s.usage.forget(m.Metadata.Get(events.MetaAccount))
	case events.ReservationAccessSet, events.ReservationReleased: // access_gate.go
		ev, err := events.Decode(m.Payload)
		if err != nil {
			return
		}
		var d struct {
			Subdomain string `json:"subdomain"`
		}
		if ev.DecodeData(&d) == nil {
			s.spawn(func() { s.refreshAccessOf(d.Subdomain) })
		}
	}
}

// recheckHostnames unbinds custom hostnames no longer verified for their
// tunnel's account (the domain was removed or failed a re-check); the
// tunnel stays up under its subdomain.
func (s *Server) recheckHostnames() {
	s.mu.RLock()
	var bound []*tunnel
	for h, t := range s.byHost {
		if t.hostname == h && !t.gone() {
			bound = append(bound, t)
		}
	}
	s.mu.RUnlock()
	for _, t := range bound {
		if err := s.checkHostname(t.info.AccountID, t.hostname); domain.ErrorCode(err) != domain.CodeForbidden {
			continue
		}
		s.mu.Lock()
		if s.byHost[t.hostname] == t {
			delete(s.byHost, t.hostname)
		}
		s.mu.Unlock()
	}
}
