package httpapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// Replayer re-sends a captured request through its live tunnel. The edge
// implements it (*edge.Server); httpapi only serves the route, so it names
// the capability here instead of importing edge.
type Replayer interface {
	// Replay re-sends the account's request id through the live tunnel sub
	// with o applied and returns the new capture (with ReplayOf). Errors are
	// *domain.Error: CodeNotFound, CodeConflict (tunnel offline),
	// CodeInvalid, CodeGone (stored body pruned, no body override).
	Replay(ctx context.Context, accountID, sub string, id ulid.ULID, o domain.ReplayOverrides) (domain.CapturedRequest, error)
}

func (s *Server) routesReplay() []route {
	return []route{
		{Method: http.MethodPost, Path: "/api/v1/me/tunnels/:sub/requests/:id/replay", Handle: s.replayRequest},
		{Method: http.MethodGet, Path: "/api/v1/me/requests/:id/export", Handle: s.exportRequest},
	}
}

// replayRequest is POST /api/v1/me/tunnels/{sub}/requests/{id}/replay with
// optional JSON overrides: 201 and the new capture's summary. An id that is
// not a request id is 404, like an id of another account. An account runs
// at most Config.ReplaysPerAccount replays at once (429 past it, before the
// body is read), and a body override may be as large as the plan's capture
// limit (413 past it): a replay's memory is bounded by both.
func (s *Server) replayRequest(w http.ResponseWriter, r *http.Request, c *call) error {
	raw := c.Params.ByName("id")
	id, err := ulid.ParseStrict(strings.TrimPrefix(raw, domain.RequestIDPrefix))
	if err != nil {
		return domain.Errorf(domain.CodeNotFound, "request %s not found", raw)
	}
	done, err := s.replays.acquire(c.Account.ID)
	if err != nil {
		return err
	}
	defer done()
	plan, err := domain.PlanByName(c.Account.Plan)
	if err != nil {
		return err
	}
	o, err := readOverrides(r, plan.Limits.CaptureBodyBytes)
	if err != nil {
		return err
	}
	if s.cfg.Replayer == nil {
		return domain.Errorf(domain.CodeUnavailable, "replay is not available: this API runs without an edge")
	}
	cr, err := s.cfg.Replayer.Replay(r.Context(), c.Account.ID, c.Params.ByName("sub"), id, o)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toRequestJSON(cr))
}

// RequestExport is GET /api/v1/me/requests/{id}/export: what `warren replay
// --to` needs to re-send a request without the server, the full capture
// (ID with its req_ prefix) and the stored request body.
type RequestExport struct {
	Request     domain.CapturedRequest `json:"request"`
	RequestBody string                 `json:"requestBody"` // base64 of the stored bytes; "" when none is stored
}

// exportRequest is GET /api/v1/me/requests/{id}/export for the key's
// account, whatever the tunnel. 404 for an id that is not the caller's.
func (s *Server) exportRequest(w http.ResponseWriter, r *http.Request, c *call) error {
	raw := c.Params.ByName("id")
	id, err := ulid.ParseStrict(strings.TrimPrefix(raw, domain.RequestIDPrefix))
	if err != nil {
		return domain.Errorf(domain.CodeNotFound, "request %s not found", raw)
	}
	cr, err := projections.View(s.db, func(tx *bolt.Tx) (domain.CapturedRequest, error) {
		return projections.Request(tx, c.Account.ID, id)
	})
	if err != nil {
		return err
	}
	body, _, err := s.log.Body(id, 0)
	if err != nil {
		return &domain.Error{Code: domain.CodeInternal, Message: "reading the stored body failed", Err: err}
	}
	cr.ID = domain.RequestIDPrefix + cr.ID
	return writeJSON(w, http.StatusOK, RequestExport{Request: cr, RequestBody: base64.StdEncoding.EncodeToString(body)})
}
