package httpapi

import (
	"io"
	"net/http"
	"path/filepath"

	"warren/events"
)

// checkpointHandler is GET /api/v1/checkpoint: the log's head signed now
// with the server's Ed25519 key, as a signed note (text/plain). Any valid
// key may ask: the checkpoint reveals only the event count and head hash.
func (s *Server) checkpointHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	signer, err := s.checkpointSigner()
	if err != nil {
		return err
	}
	text, err := s.log.Checkpoint(signer, s.cfg.BaseDomain)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = io.WriteString(w, text)
	return err
}

// checkpointSigner loads the key beside the log file (<data>/checkpoint.key),
// creating it if serve has not yet: the key belongs to the data directory,
// so a server started on a backup copy of the file keeps its own.
func (s *Server) checkpointSigner() (*events.Signer, error) {
	return events.LoadOrCreateSigner(filepath.Dir(s.db.Path()))
}
