package httpapi

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"strconv"

	"warren/domain"
)

// backupSecretsHandler is GET /api/v1/admin/backup/secrets (issue 17): the
// sealed store of webhook signing secrets as it is on disk, for `warren
// backup --server` to keep beside the copy of the log. The file is sealed
// (NaCl secretbox) under a key this route never serves: a backup holds the
// secrets only together with a key kept apart. The store is replaced whole
// on each change (rename), so the file read here is one consistent
// version. 404 when the server has none yet.
func (s *Server) backupSecretsHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.cfg.SecretsPath == "" {
		return domain.Errorf(domain.CodeNotFound, "this server keeps no sealed store")
	}
	b, err := os.ReadFile(s.cfg.SecretsPath)
	if errors.Is(err, fs.ErrNotExist) {
		return domain.Errorf(domain.CodeNotFound, "no webhook secret has been stored yet")
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="secrets.sealed"`)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}
