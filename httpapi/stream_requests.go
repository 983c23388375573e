package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

// streamRequests is GET /api/v1/me/tunnels/{sub}/requests/stream: an SSE
// stream of the tunnel's new captured requests ("event: request", "id:
// <ULID>", data: the summary JSON), resumable with Last-Event-ID. Without a
// sub (GET /api/v1/me/requests/stream) it streams every tunnel's.
func (s *Server) streamRequests(w http.ResponseWriter, r *http.Request, c *call) error {
	acc, sub := c.Account.ID, c.Params.ByName("sub")
	if err := checkTunnelName(sub); err != nil {
		return err
	}
	return s.serveSSE(w, r, c, sseSource{
		Topic: events.TopicRequests,
		Wakes: accountWakes(acc),
		After: func(after ulid.ULID, limit int) ([]sseItem, error) {
			rs, err := projections.View(s.db, func(tx *bolt.Tx) ([]domain.CapturedRequest, error) {
				return projections.RequestsAfter(tx, acc, sub, after, limit)
			})
			if err != nil {
				return nil, err
			}
			items := make([]sseItem, 0, len(rs))
			for _, cr := range rs {
				id, err := ulid.ParseStrict(cr.ID)
				if err != nil {
					return nil, err
				}
				data, err := json.Marshal(toRequestJSON(cr))
				if err != nil {
					return nil, err
				}
				items = append(items, sseItem{ID: id, Event: "request", Data: data})
			}
			return items, nil
		},
		Newest: func() (ulid.ULID, error) {
			return projections.View(s.db, func(tx *bolt.Tx) (ulid.ULID, error) {
				rs, err := projections.Requests(tx, acc, sub, ulid.ULID{}, 1)
				if err != nil || len(rs) == 0 {
					return ulid.ULID{}, err
				}
				return ulid.ParseStrict(rs[0].ID)
			})
		},
	})
}
