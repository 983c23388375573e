package httpapi

import (
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// requestJSON is a captured request's summary: list items and SSE data.
// It carries lrok's and osmRouter's fields (bytes = in + out).
type requestJSON struct {
	ID         string  `json:"id"`
	Tunnel     string  `json:"tunnel"`
	Kind       string  `json:"kind"`
	Method     string  `json:"method"`
	Path       string  `json:"path"`
	Status     int     `json:"status"`
	DurationMs int64   `json:"durationMs"` // rounded: osmRouter's example is an integer
	DurationUs int64   `json:"durationUs"` // the sub-millisecond precision durationMs drops
	TTFBMs     int64   `json:"ttfbMs"`
	TTFBUs     int64   `json:"ttfbUs"`
	Bytes      int64   `json:"bytes"`
	BytesIn    int64   `json:"bytesIn"`
	BytesOut   int64   `json:"bytesOut"`
	IP         string  `json:"ip"`
	UserAgent  string  `json:"userAgent"`
	Proto      string  `json:"proto"`
	Host       string  `json:"host"`
	Error      *string `json:"error"`
	ReplayOf   *string `json:"replayOf"`
	// Modified: a replay whose overrides changed what was sent, and
	// Overrides which ("method", "path", "headers", "body").
	Modified  bool      `json:"modified"`
	Overrides []string  `json:"overrides,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	// issue 17: what the tunnel's webhook verifier said (absent: it has none).
	Webhook *domain.WebhookResult `json:"webhook,omitempty"`
}

func toRequestJSON(c domain.CapturedRequest) requestJSON {
	j := requestJSON{ID: domain.RequestIDPrefix + c.ID, Tunnel: c.Tunnel, Kind: c.Kind, Method: c.Method,
		Path: c.Path, Status: c.Status,
		Bytes: c.BytesIn + c.BytesOut, BytesIn: c.BytesIn, BytesOut: c.BytesOut, IP: c.IP,
		UserAgent: c.UserAgent, Proto: c.Proto, Host: c.Host, CreatedAt: c.CreatedAt.UTC()}
	j.Webhook = c.Webhook
	j.DurationMs, j.DurationUs = apiDuration(c.DurationMs)
	j.TTFBMs, j.TTFBUs = apiDuration(c.TTFBMs)
	if c.Error != "" {
		e := c.Error
		j.Error = &e
	}
	if c.ReplayOf != "" {
		ro := replayID(c.ReplayOf)
		j.ReplayOf = &ro
	}
	j.Modified, j.Overrides = len(c.Overrides) > 0, c.Overrides
	return j
}

// replayID is a capture's replayOf as the API shows it: req_<ULID> (the
// edge records it so; older captures may lack the prefix).
func replayID(ro string) string {
	if !strings.HasPrefix(ro, domain.RequestIDPrefix) {
		ro = domain.RequestIDPrefix + ro
	}
	return ro
}

// apiDuration maps a stored duration (float milliseconds, the event format)
// to the API's integers: whole milliseconds, rounded, for clients typed
// from the seeds, and microseconds for the precision in between.
func apiDuration(ms float64) (wholeMs, us int64) {
	return int64(math.Round(ms)), int64(math.Round(ms * 1000))
}

// parseRequestID accepts "req_<ULID>" and a bare ULID (CodeInvalid otherwise).
func parseRequestID(param, id string) (ulid.ULID, error) {
	if !strings.HasPrefix(id, domain.RequestIDPrefix) {
		if u, err := ulid.ParseStrict(id); err == nil {
			return u, nil
		}
	}
	return projections.ParseID(param, domain.RequestIDPrefix, id)
}

// checkTunnelName refuses a tunnel name no tunnel can have (not a subdomain
// by its syntax; "tcp-<port>" is one), so listing, streaming or exporting it
// is a 400 rather than an empty answer that hides the typo. Reserved words
// pass: a name reserved later may still have captures. "" is no filter.
func checkTunnelName(name string) error {
	if name == "" || domain.ValidateSubdomainSyntax(name) == nil {
		return nil
	}
	return domain.Errorf(domain.CodeInvalid, "%q is not a tunnel name (a subdomain, or tcp-PORT)", name)
}

func (s *Server) routesRequests() []route {
	return []route{
		{Method: http.MethodGet, Path: "/api/v1/me/tunnels/:sub/requests", Handle: s.listTunnelRequests},
		{Method: http.MethodGet, Path: "/api/v1/me/tunnels/:sub/requests/:id", Handle: s.getRequest},
		// httprouter cannot hold a static "stream" or "export" beside ":id": mounted on it.
		{Method: http.MethodGet, Path: "/api/v1/me/tunnels/:sub/requests/stream", Mount: "/api/v1/me/tunnels/:sub/requests/:id", Handle: s.streamRequests},
		{Method: http.MethodGet, Path: "/api/v1/me/tunnels/:sub/requests/export", Mount: "/api/v1/me/tunnels/:sub/requests/:id", Handle: s.exportHandler}, // export.go (audit)
		{Method: http.MethodGet, Path: "/v1/requests", Handle: s.listRequests},
		// Every tunnel's requests; streamRequests with no sub streams them all.
		// Mounted on ":id" so that GET /api/v1/me/requests/:id/export (replay.go) fits beside it.
		{Method: http.MethodGet, Path: "/api/v1/me/requests/stream", Mount: "/api/v1/me/requests/:id", Handle: s.streamRequests},
	}
}

// listTunnelRequests is GET /api/v1/me/tunnels/{sub}/requests: a tunnel's
// captured requests newest first, also after it closed (keyed by name).
func (s *Server) listTunnelRequests(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.writeRequestPage(w, r, c, c.Params.ByName("sub"))
}

// listRequests is osmRouter's GET /v1/requests (?tunnel= narrows it).
func (s *Server) listRequests(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.writeRequestPage(w, r, c, r.URL.Query().Get("tunnel"))
}

func (s *Server) writeRequestPage(w http.ResponseWriter, r *http.Request, c *call, tunnel string) error {
	if err := checkTunnelName(tunnel); err != nil {
		return err
	}
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	var before ulid.ULID
	if p.Before != "" {
		if before, err = parseRequestID("before_id", p.Before); err != nil {
			return err
		}
		if before == (ulid.ULID{}) { // to the projection, "no cursor"
			return asCursorError(domain.Errorf(domain.CodeNotFound, "no such request"), p.Before)
		}
	}
	f, err := parseRequestFilter(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := projections.View(s.db, func(tx *bolt.Tx) (projections.RequestPage, error) {
		return projections.RequestsFiltered(tx, c.Account.ID, tunnel, before, p.fetch(), &f, s.maxRequestScan())
	})
	if err != nil {
		return asCursorError(err, p.Before)
	}
	rs, more := cutPage(pg.Requests, p)
	out := make([]requestJSON, 0, len(rs))
	last := ""
	for _, cr := range rs {
		j := toRequestJSON(cr)
		out = append(out, j)
		last = j.ID
	}
	body := map[string]any{"requests": out}
	if pg.ScanLimited && !more {
		// The scan stopped short of a full page: continue below the last
		// request it read, not the last one it found.
		last = domain.RequestIDPrefix + pg.ScanBefore.String()
		body["scanLimited"], body["scanBeforeId"] = true, last
		more = true
	}
	body["next_page_uri"] = s.nextPageURI(r, p, more, last)
	return writeJSON(w, http.StatusOK, body)
}

// getRequest is GET /api/v1/me/tunnels/{sub}/requests/{id}: the full
// capture. 404 when the request is not the caller's or not that tunnel's.
func (s *Server) getRequest(w http.ResponseWriter, r *http.Request, c *call) error {
	sub := c.Params.ByName("sub")
	id, err := parseRequestID("id", c.Params.ByName("id"))
	if err != nil {
		return domain.Errorf(domain.CodeNotFound, "request %q not found", c.Params.ByName("id"))
	}
	var cr domain.CapturedRequest
	if err := s.view(func(tx *bolt.Tx) error {
		cr, err = projections.Request(tx, c.Account.ID, id)
		return err
	}); err != nil {
		return err
	}
	if cr.Tunnel != sub {
		return domain.Errorf(domain.CodeNotFound, "request %q not found", domain.RequestIDPrefix+id.String())
	}
	d, err := s.requestDetail(id, cr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}
