package edge

import (
	"sync"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// agentCounts is how many sessions each account and each key holds, for the
// plan's AgentSessions and AgentSessionsPerKey caps. Guarded by Server.mu.
type agentCounts struct {
	ofAccount map[string]int64
	ofKey     map[string]int64
}

// admitAgent takes a session slot for k within its plan's caps, before the
// connection is upgraded (so a refusal is a plain 429). It fails with
// CodeQuota over a cap. The returned release gives the slot back; it may
// be called more than once.
func (s *Server) admitAgent(k domain.APIKey) (release func(), err error) {
	// The plan itself, not the usage cache: a connect is rare, and filling
	// the cache here would make the first requests see usage from before it.
	plan, err := projections.View(s.cfg.Log.DB(), func(tx *bolt.Tx) (domain.Plan, error) {
		_, p, err := projections.AccountPlan(tx, k.AccountID)
		return p, err
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := domain.CheckConnectAgent(plan, s.agents.ofAccount[k.AccountID], s.agents.ofKey[k.ID]); err != nil {
		return nil, err
	}
	s.agents.ofAccount[k.AccountID]++
	s.agents.ofKey[k.ID]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			dec(s.agents.ofAccount, k.AccountID)
			dec(s.agents.ofKey, k.ID)
		})
	}, nil
}

func dec(m map[string]int64, id string) {
	if m[id] <= 1 {
		delete(m, id)
		return
	}
	m[id]--
}
