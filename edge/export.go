package edge

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/httpapi"
	"warren/projections"
)

// Export is what `warren replay --to` needs to re-send a request locally:
// the full capture and the stored request body.
type Export struct {
	Request     domain.CapturedRequest `json:"request"`
	RequestBody string                 `json:"requestBody"` // base64 of the stored bytes
}

func isExportPath(p string) bool {
	_, ok := exportParams(p)
	return ok
}

// exportParams matches GET /api/v1/me/requests/{id}/export.
func exportParams(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/api/v1/me/requests/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest, "/export")
	return id, ok && id != "" && !strings.Contains(id, "/")
}

// serveExport answers GET /api/v1/me/requests/{id}/export for the key's account.
func (s *Server) serveExport(w http.ResponseWriter, r *http.Request) {
	raw, _ := exportParams(r.URL.Path)
	k, err := s.authenticate(r)
	if err != nil {
		writeJSONError(w, http.StatusUnauthorized, "unauthorized", domain.ErrorMessage(err))
		return
	}
	id, err := ulid.ParseStrict(strings.TrimPrefix(raw, domain.RequestIDPrefix))
	if err != nil {
		writeJSONError(w, http.StatusNotFound, string(domain.CodeNotFound), "request "+raw+" not found")
		return
	}
	var cr domain.CapturedRequest
	err = s.cfg.Log.DB().View(func(tx *bolt.Tx) error {
		var err error
		cr, err = projections.Request(tx, k.AccountID, id)
		return err
	})
	if err != nil {
		writeJSONError(w, httpapi.HTTPStatus(err), string(domain.ErrorCode(err)), domain.ErrorMessage(err))
		return
	}
	body, _, err := s.cfg.Log.Body(id, 0)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "internal", "reading the stored body failed")
		return
	}
	cr.ID = domain.RequestIDPrefix + cr.ID
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Export{Request: cr, RequestBody: base64.StdEncoding.EncodeToString(body)})
}
