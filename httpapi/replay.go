package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
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

// maxOverrides bounds a replay's overrides: the body override replaces a
// captured body, which may be as large as the biggest plan's capture limit,
// so the API's usual 1 MiB (maxBody) is too small here.
const maxOverrides = 64 << 20

func (s *Server) routesReplay() []route {
	return []route{
		{Method: http.MethodPost, Path: "/api/v1/me/tunnels/:sub/requests/:id/replay", Handle: s.replayRequest},
		{Method: http.MethodGet, Path: "/api/v1/me/requests/:id/export", Handle: s.exportRequest},
	}
}

// replayRequest is POST /api/v1/me/tunnels/{sub}/requests/{id}/replay with
// optional JSON overrides: 201 and the new capture's summary. An id that is
// not a request id is 404, like an id of another account.
func (s *Server) replayRequest(w http.ResponseWriter, r *http.Request, c *call) error {
	raw := c.Params.ByName("id")
	id, err := ulid.ParseStrict(strings.TrimPrefix(raw, domain.RequestIDPrefix))
	if err != nil {
		return domain.Errorf(domain.CodeNotFound, "request %s not found", raw)
	}
	o, err := readOverrides(r)
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

// readOverrides decodes a replay's body. No body (or only whitespace) keeps
// the capture as it was. The content type follows the API's rule (JSON, none,
// or curl's default form type when the body looks like JSON); unlike other
// routes, unknown fields are refused, so a misspelt override is a 400 rather
// than a replay of the unchanged request.
func readOverrides(r *http.Request) (domain.ReplayOverrides, error) {
	var o domain.ReplayOverrides
	if r.ContentLength == 0 || r.Body == nil {
		return o, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxOverrides+1))
	if err != nil {
		return o, domain.Errorf(domain.CodeInvalid, "cannot read the request body")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return o, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !jsonBodyType(mt, raw) {
		return o, &domain.Error{Code: codeUnsupportedMedia, Message: "the body must be application/json"}
	}
	if len(raw) > maxOverrides {
		return o, domain.Errorf(domain.CodeTooLarge, "overrides are limited to 64 MiB")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := decodeWith(dec, &o); err != nil {
		return o, domain.Errorf(domain.CodeInvalid, "bad overrides: %s", domain.ErrorMessage(err))
	}
	return o, o.Validate()
}

// jsonBodyType reports whether a body of media type mt (unparseable: "")
// counts as JSON: JSON types, no type, or the form type when the body parses
// as JSON or starts like it (so a typo in it is a 400 naming the error).
func jsonBodyType(mt string, raw []byte) bool {
	switch {
	case mt == "", mt == "application/json", strings.HasSuffix(mt, "+json"):
		return true
	case mt == "application/x-www-form-urlencoded":
		return json.Valid(raw) || looksLikeJSON(raw)
	}
	return false
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
	var cr domain.CapturedRequest
	if err := s.view(func(tx *bolt.Tx) error {
		cr, err = projections.Request(tx, c.Account.ID, id)
		return err
	}); err != nil {
		return err
	}
	body, _, err := s.log.Body(id, 0)
	if err != nil {
		return &domain.Error{Code: domain.CodeInternal, Message: "reading the stored body failed", Err: err}
	}
	cr.ID = domain.RequestIDPrefix + cr.ID
	return writeJSON(w, http.StatusOK, RequestExport{Request: cr, RequestBody: base64.StdEncoding.EncodeToString(body)})
}
