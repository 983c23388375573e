package edge

import (
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

// repair closes tunnels the log still holds live from an earlier process
// (a crash, or a kill without shutdown): no agent session survives a
// restart, so they are recorded closed with reason shutdown.
func (s *Server) repair() error {
	live, err := projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) ([]domain.Tunnel, error) {
		var live []domain.Tunnel
		err := projections.AllLiveTunnels(tx, func(t domain.Tunnel) error {
			live = append(live, t)
			return nil
		})
		return live, err
	})
	if err != nil {
		return err
	}
	if len(live) == 0 {
		return nil
	}
	_, err = s.cfg.Log.Execute(bg(), func(tx *events.Tx) ([]events.Draft, error) {
		var out []events.Draft
		for _, t := range live {
			d, err := projections.CloseTunnel(t.AccountID, t.ID, domain.CloseShutdown)(tx)
			if err != nil {
				return nil, err
			}
			out = append(out, d...)
		}
		return out, nil
	})
	if err == nil {
		s.cfg.Logger.Info("closed tunnels left open by an earlier run", "count", len(live))
	}
	return err
}
