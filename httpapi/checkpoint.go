package httpapi

import (
	"io"
	"net/http"
)

// checkpointHandler is GET /api/v1/checkpoint: the log's head signed now
// with the server's Ed25519 key (Config.Signer, loaded once at start), as a
// signed note (text/plain) that `warren events verify --checkpoint FILE
// --public-key-file KEY` checks offline. Operator keys only: the head's
// event count is the whole server's, which a tenant has no business seeing
// (403 for any other key). Checkpoints are made on demand; none is stored.
func (s *Server) checkpointHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	text, err := s.log.Checkpoint(s.cfg.Signer, s.cfg.BaseDomain)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = io.WriteString(w, text)
	return err
}
