package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/events"
)

// myEventsStreamHandler is GET /api/v1/me/events/stream: the account's new
// events as SSE ("event: <type>", "id: <ULID>", data: the audit JSON),
// resumable with Last-Event-ID and filtered by type= like the list.
// Since/until do not apply to a stream.
func (s *Server) myEventsStreamHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := parseAuditFilter(r, c.Account.ID)
	if err != nil {
		return err
	}
	f.Since, f.Until = time.Time{}, time.Time{}
	return s.serveSSE(w, r, c, sseSource{
		Topic: events.TopicEvents,
		Wakes: accountWakes(c.Account.ID),
		After: func(after ulid.ULID, limit int) ([]sseItem, error) {
			evs, err := s.auditForward(f, after, limit)
			if err != nil {
				return nil, err
			}
			items := make([]sseItem, 0, len(evs))
			for i := range evs {
				j, err := toAuditEventJSON(&evs[i])
				if err != nil {
					return nil, err
				}
				data, err := json.Marshal(j)
				if err != nil {
					return nil, err
				}
				items = append(items, sseItem{ID: evs[i].ID, Event: j.Type, Data: data})
			}
			return items, nil
		},
		// Everything after the head is new: the stream starts there.
		Newest: func() (ulid.ULID, error) {
			h, err := s.log.Head()
			return h.ID, err
		},
	})
}
